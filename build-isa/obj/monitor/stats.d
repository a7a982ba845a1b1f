build-isa/obj/monitor/stats.o: monitor/stats.c monitor/stats.h
monitor/stats.h:
