build-isa/obj/engines/softcpu/decode.o: engines/softcpu/decode.c \
 engines/softcpu/softcpu.h isa/x86.h monitor/exit.h monitor/vcpu.h
engines/softcpu/softcpu.h:
isa/x86.h:
monitor/exit.h:
monitor/vcpu.h:
