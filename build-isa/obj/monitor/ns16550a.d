build-isa/obj/monitor/ns16550a.o: monitor/ns16550a.c monitor/ns16550a.h
monitor/ns16550a.h:
