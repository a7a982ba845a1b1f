build-isa/obj/isa/pgclass.o: isa/pgclass.c isa/decode.h isa/pgclass.h
isa/decode.h:
isa/pgclass.h:
