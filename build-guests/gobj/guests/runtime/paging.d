build-guests/gobj/guests/runtime/paging.o: guests/runtime/paging.c \
 guests/runtime/cpu.h isa/x86.h guests/runtime/rt.h monitor/boot.h
guests/runtime/cpu.h:
isa/x86.h:
guests/runtime/rt.h:
monitor/boot.h:
