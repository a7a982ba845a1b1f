build-isa/obj/monitor/vm.o: monitor/vm.c monitor/engine.h monitor/vm.h \
 monitor/devices.h monitor/ns16550a.h monitor/guest_mem.h monitor/stats.h \
 monitor/vcpu.h shadowpt/shadowpt.h
monitor/engine.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
