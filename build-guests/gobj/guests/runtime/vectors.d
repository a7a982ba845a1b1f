build-guests/gobj/guests/runtime/vectors.o: guests/runtime/vectors.S \
 isa/x86.h
isa/x86.h:
