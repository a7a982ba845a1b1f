build-isa/obj/monitor/loader.o: monitor/loader.c isa/x86.h monitor/boot.h \
 monitor/loader.h monitor/vm.h monitor/devices.h monitor/ns16550a.h \
 monitor/guest_mem.h monitor/stats.h monitor/vcpu.h shadowpt/shadowpt.h
isa/x86.h:
monitor/boot.h:
monitor/loader.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
