build-isa/obj/engines/softcpu/cache.o: engines/softcpu/cache.c \
 engines/softcpu/softcpu.h isa/x86.h monitor/exit.h monitor/vcpu.h
engines/softcpu/softcpu.h:
isa/x86.h:
monitor/exit.h:
monitor/vcpu.h:
