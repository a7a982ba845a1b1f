build-guests/gobj/guests/runtime/string.o: guests/runtime/string.c \
 guests/runtime/rt.h monitor/boot.h
guests/runtime/rt.h:
monitor/boot.h:
