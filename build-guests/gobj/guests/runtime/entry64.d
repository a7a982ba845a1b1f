build-guests/gobj/guests/runtime/entry64.o: guests/runtime/entry64.S
