build-isa/obj/monitor/exit.o: monitor/exit.c monitor/engine.h \
 monitor/exit.h
monitor/engine.h:
monitor/exit.h:
