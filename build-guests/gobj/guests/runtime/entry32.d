build-guests/gobj/guests/runtime/entry32.o: guests/runtime/entry32.S \
 isa/x86.h monitor/boot.h
isa/x86.h:
monitor/boot.h:
