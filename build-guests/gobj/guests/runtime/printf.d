build-guests/gobj/guests/runtime/printf.o: guests/runtime/printf.c \
 guests/runtime/rt.h monitor/boot.h
guests/runtime/rt.h:
monitor/boot.h:
