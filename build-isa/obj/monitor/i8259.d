build-isa/obj/monitor/i8259.o: monitor/i8259.c monitor/i8259.h
monitor/i8259.h:
