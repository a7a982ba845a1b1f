build-guests/gobj/guests/hello/hello.o: guests/hello/hello.c \
 guests/runtime/rt.h monitor/boot.h
guests/runtime/rt.h:
monitor/boot.h:
