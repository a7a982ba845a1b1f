build-isa/obj/monitor/guest_mem.o: monitor/guest_mem.c \
 monitor/guest_mem.h
monitor/guest_mem.h:
