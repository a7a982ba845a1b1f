build-isa/obj/interp/operand.o: interp/operand.c interp/internal.h \
 interp/interp.h isa/decode.h isa/x86.h monitor/vcpu.h monitor/vm.h \
 monitor/devices.h monitor/ns16550a.h monitor/guest_mem.h monitor/stats.h \
 shadowpt/shadowpt.h shadowpt/walk.h
interp/internal.h:
interp/interp.h:
isa/decode.h:
isa/x86.h:
monitor/vcpu.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
shadowpt/shadowpt.h:
shadowpt/walk.h:
