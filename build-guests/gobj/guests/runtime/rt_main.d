build-guests/gobj/guests/runtime/rt_main.o: guests/runtime/rt_main.c \
 guests/runtime/cpu.h isa/x86.h guests/runtime/rt.h monitor/boot.h
guests/runtime/cpu.h:
isa/x86.h:
guests/runtime/rt.h:
monitor/boot.h:
