build-isa/obj/monitor/trace.o: monitor/trace.c isa/decode.h isa/pgclass.h \
 monitor/engine.h monitor/trace.h monitor/vm.h monitor/devices.h \
 monitor/ns16550a.h monitor/guest_mem.h monitor/stats.h monitor/vcpu.h \
 shadowpt/shadowpt.h
isa/decode.h:
isa/pgclass.h:
monitor/engine.h:
monitor/trace.h:
monitor/vm.h:
monitor/devices.h:
monitor/ns16550a.h:
monitor/guest_mem.h:
monitor/stats.h:
monitor/vcpu.h:
shadowpt/shadowpt.h:
