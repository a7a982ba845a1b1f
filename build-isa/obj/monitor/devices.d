build-isa/obj/monitor/devices.o: monitor/devices.c monitor/devices.h \
 monitor/ns16550a.h monitor/vm.h monitor/guest_mem.h monitor/stats.h \
 monitor/vcpu.h shadowpt/shadowpt.h
monitor/devices.h:
monitor/ns16550a.h:
monitor/vm.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
