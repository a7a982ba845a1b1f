build-isa/obj/monitor/dispatch.o: monitor/dispatch.c interp/interp.h \
 isa/decode.h isa/pgclass.h isa/x86.h monitor/dispatch.h monitor/engine.h \
 monitor/exit.h monitor/trace.h monitor/vm.h monitor/devices.h \
 monitor/ns16550a.h monitor/guest_mem.h monitor/stats.h monitor/vcpu.h \
 shadowpt/shadowpt.h
interp/interp.h:
isa/decode.h:
isa/pgclass.h:
isa/x86.h:
monitor/dispatch.h:
monitor/engine.h:
monitor/exit.h:
monitor/trace.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
