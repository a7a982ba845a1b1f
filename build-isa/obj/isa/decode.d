build-isa/obj/isa/decode.o: isa/decode.c isa/decode.h isa/x86.h \
 monitor/vm.h monitor/devices.h monitor/ns16550a.h monitor/guest_mem.h \
 monitor/stats.h monitor/vcpu.h shadowpt/shadowpt.h shadowpt/walk.h
isa/decode.h:
isa/x86.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
shadowpt/walk.h:
