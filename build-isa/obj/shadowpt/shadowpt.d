build-isa/obj/shadowpt/shadowpt.o: shadowpt/shadowpt.c isa/x86.h \
 monitor/engine.h monitor/vm.h monitor/devices.h monitor/ns16550a.h \
 monitor/guest_mem.h monitor/stats.h monitor/vcpu.h shadowpt/shadowpt.h \
 shadowpt/walk.h
isa/x86.h:
monitor/engine.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
shadowpt/walk.h:
