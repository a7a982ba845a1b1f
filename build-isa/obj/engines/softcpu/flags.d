build-isa/obj/engines/softcpu/flags.o: engines/softcpu/flags.c \
 engines/softcpu/softcpu.h isa/x86.h monitor/exit.h monitor/vcpu.h
engines/softcpu/softcpu.h:
isa/x86.h:
monitor/exit.h:
monitor/vcpu.h:
