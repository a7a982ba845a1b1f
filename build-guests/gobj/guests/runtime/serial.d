build-guests/gobj/guests/runtime/serial.o: guests/runtime/serial.c \
 guests/runtime/cpu.h isa/x86.h monitor/ns16550a.h guests/runtime/rt.h \
 monitor/boot.h
guests/runtime/cpu.h:
isa/x86.h:
monitor/ns16550a.h:
guests/runtime/rt.h:
monitor/boot.h:
