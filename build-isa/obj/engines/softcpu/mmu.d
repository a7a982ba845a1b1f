build-isa/obj/engines/softcpu/mmu.o: engines/softcpu/mmu.c \
 engines/softcpu/softcpu.h isa/x86.h monitor/exit.h monitor/vcpu.h \
 monitor/engine.h monitor/vm.h monitor/devices.h monitor/ns16550a.h \
 monitor/guest_mem.h monitor/stats.h shadowpt/shadowpt.h
engines/softcpu/softcpu.h:
isa/x86.h:
monitor/exit.h:
monitor/vcpu.h:
monitor/engine.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
shadowpt/shadowpt.h:
