# .gdbinit - what `make gdb GUEST=NAME` gives gdb (with -x; gdb does not
# load a .gdbinit from the current folder by itself, for safety).  The
# guest's image, with its symbols, is gdb's file; trapvisor waits for gdb
# on GDBPORT (the Makefile passes it as $gdbport) before the guest's first
# instruction.  gdb retries the connection while trapvisor starts.
set confirm off
set pagination off
set tcp connect-timeout 20
eval "target remote localhost:%d", $gdbport
