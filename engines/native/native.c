/*
 * engines/native/native.c - the native engine: guest code on the host CPU.
 *
 * The guest kernel runs at the real ring 3 in a traced child process
 * (child.c) whose address space mirrors the shadow page tables (mirror.c).
 * run() copies the vCPU's registers into the child, resumes it with
 * PTRACE_SYSEMU, and turns the stop that follows into one struct vm_exit:
 *
 *   the child stops with            the dispatcher gets
 *   ----------------------------    ----------------------------------------
 *   SIGSEGV, si_code SI_KERNEL      #GP: a privileged instruction (decoded
 *                                   by the dispatcher), or the guest's own
 *   SIGSEGV, si_addr = address      #PF at that address, unless the shadow
 *                                   already maps it (then: map, resume)
 *   SIGTRAP, SI_KERNEL              #BP (int3), a trap: RIP after it
 *   SIGTRAP, TRAP_TRACE             #DB, or the end of our single step
 *   SIGILL / SIGFPE / SIGBUS        #UD / #DE or #XM / #AC
 *   SIGBUS in the stub page         #PF: the stub is away while the guest
 *                                   runs (child.c), the guest cannot map it
 *   a SYSEMU stop after 0f 05       EXIT_SYSCALL, RIP at the syscall
 *   a SYSEMU stop after cd 80       #GP(0x80 * 8 + 2): int 0x80 through the
 *                                   guest's ring-0 gate, as on softcpu
 *   PTRACE_INTERRUPT's stop         EXIT_INTERRUPT: a timer event is due,
 *                                   or Ctrl-C
 *   any stop with CS not 0x33       the guest stopped (status 125): it ran
 *                                   sysenter on an Intel host, which loses
 *                                   RIP (left_long_mode)
 *
 * A tracer sees neither the trap number nor the error code (README.md),
 * so they are rebuilt here from the signal, the bytes at RIP and the
 * shadow's state.  Sensitive-unprivileged instructions (pushf, sgdt, smsw,
 * cpuid, mov from %cs, ...) run without a stop and see the host: that is
 * what this engine exists to show.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "shadowpt/shadowpt.h"
#include "patch/patch.h"

#if defined(__linux__) && defined(__x86_64__)

#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engines/native/native.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "devices/devices.h"
#include "devices/i8259.h"

/* The RFLAGS bits the guest's code really owns at ring 3; IF and IOPL
 * stay virtual (the real IF is always 1, the real IOPL 0). */
#define NAT_FLAGS (FL_STATUS | FL_DF | FL_TF)

/* Where each vCPU register lives in ptrace's user_regs_struct, in the
 * vCPU's (encoding) order. */
static const size_t reg_offset[VCPU_NREGS] = {
	offsetof(struct user_regs_struct, rax),
	offsetof(struct user_regs_struct, rcx),
	offsetof(struct user_regs_struct, rdx),
	offsetof(struct user_regs_struct, rbx),
	offsetof(struct user_regs_struct, rsp),
	offsetof(struct user_regs_struct, rbp),
	offsetof(struct user_regs_struct, rsi),
	offsetof(struct user_regs_struct, rdi),
	offsetof(struct user_regs_struct, r8),
	offsetof(struct user_regs_struct, r9),
	offsetof(struct user_regs_struct, r10),
	offsetof(struct user_regs_struct, r11),
	offsetof(struct user_regs_struct, r12),
	offsetof(struct user_regs_struct, r13),
	offsetof(struct user_regs_struct, r14),
	offsetof(struct user_regs_struct, r15),
};

/*
 * Segment bases a host process cannot hold.  Real kernels put GS (and
 * often FS, KERNEL_GS) in the kernel half, 0xffff888000000000 for Linux;
 * PTRACE_SETREGS refuses any base at or above the top of the user half,
 * and the child could not reach such an address anyway (nothing can be
 * mapped there, see NAT_LINEAR_LIMIT).  So the vCPU keeps the guest's
 * base, and while it lies beyond what the child can mirror the child gets
 * the base of a *window*: a stretch above NAT_LINEAR_LIMIT where the
 * child never has anything mapped, wide enough that base + disp32 (and a
 * 32-bit index) stays inside.  Setting, swapping (swapgs) and reading such
 * a base work as on any engine; an access through it faults in the window
 * and stops the guest with one line (base_window_fault).  An index above
 * 4 GiB could carry such an access out of the window into guest memory:
 * README.md, "Limits".
 */
#define NAT_FS_WINDOW UINT64_C(0x740000000000)
#define NAT_GS_WINDOW UINT64_C(0x780000000000)
#define NAT_WINDOW_REACH UINT64_C(0x100000000) /* either side of the base */

/* The base the child gets for a guest base. */
static uint64_t child_base(uint64_t guest, uint64_t window)
{
	return guest < NAT_LINEAR_LIMIT ? guest : window;
}

/* The guest's base after a stop: the child's, unless the child still
 * holds what it was given (the guest's code may set its own bases with
 * wrfsbase/wrgsbase, which do not trap). */
static uint64_t guest_base(uint64_t now, uint64_t given, uint64_t guest)
{
	return now == given ? guest : now;
}

/* Child -> vCPU, on every stop.  Only the flags of NAT_FLAGS come back. */
static int regs_in(struct nat *n, struct user_regs_struct *r)
{
	struct vcpu *v = &n->vm->vcpu;

	if (ptrace(PTRACE_GETREGS, n->pid, 0, r) < 0)
		return -1;
	for (int i = 0; i < VCPU_NREGS; i++)
		memcpy(&v->regs[i], (char *)r + reg_offset[i], 8);
	v->rip = r->rip;
	v->rflags = (v->rflags & ~NAT_FLAGS) | (r->eflags & NAT_FLAGS);
	v->seg[SEG_FS].base = guest_base(r->fs_base, n->regs.fs_base,
					 v->seg[SEG_FS].base);
	v->seg[SEG_GS].base = guest_base(r->gs_base, n->regs.gs_base,
					 v->seg[SEG_GS].base);
	n->regs = *r; /* what the child holds, for regs_out */
	n->regs_valid = true;
	n->regs_of = n->pid; /* and for nat_inject's save */
	return 0;
}

/* vCPU -> child, before every resume.  The segment selectors and the
 * real IF/IOPL stay as the child has them. */
static int regs_out(struct nat *n)
{
	struct vcpu *v = &n->vm->vcpu;
	struct user_regs_struct *r = &n->regs;

	if (!n->regs_valid && ptrace(PTRACE_GETREGS, n->pid, 0, r) < 0)
		return -1;
	n->regs_of = 0; /* about to hold the vCPU's: no longer as read */
	for (int i = 0; i < VCPU_NREGS; i++)
		memcpy((char *)r + reg_offset[i], &v->regs[i], 8);
	r->rip = v->rip;
	r->orig_rax = ~0ULL; /* never let the kernel restart a "syscall" */
	r->eflags = (r->eflags & ~NAT_FLAGS) | (v->rflags & NAT_FLAGS);
	r->fs_base = child_base(v->seg[SEG_FS].base, NAT_FS_WINDOW);
	r->gs_base = child_base(v->seg[SEG_GS].base, NAT_GS_WINDOW);
	n->regs_valid = false; /* the child is about to run */
	return ptrace(PTRACE_SETREGS, n->pid, 0, r);
}

/*
 * Reap a child that ptrace no longer reaches; its wait status, or -1.  A
 * child killed while stopped answers ESRCH at once but becomes a zombie a
 * moment later: wait for that, 1 s at most.
 */
static int reap_child(struct nat *n)
{
	struct timespec ms = { 0, 1000000 };
	int status;

	if (n->reaped != -1)
		return n->reaped;
	for (int i = 0; n->pid > 0 && i < 1000; i++) {
		pid_t r = waitpid(n->pid, &status, __WALL | WNOHANG);

		if (r == n->pid)
			return status;
		if (r < 0 && errno != EINTR)
			break;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/*
 * The child stopped answering ptrace (err, while doing what): say what
 * became of it.  status is its wait status if the engine already reaped
 * it, else -1.  A child the monitor did not kill was killed from outside
 * (kill -9 by a user, the OOM killer): that is what the line says, not a
 * refusal of the guest's registers.
 */
static void child_lost(struct nat *n, struct vm_exit *x, int status, int err,
		       const char *doing)
{
	if (status == -1)
		status = reap_child(n);
	if (status != -1 && WIFSTOPPED(status))
		status = -1; /* not a death: the last stop's status */
	if (status != -1 && WIFSIGNALED(status))
		snprintf(n->why, sizeof(n->why), "the native child was killed "
			 "by signal %d (%s) from outside the monitor",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (status != -1 && WIFEXITED(status))
		snprintf(n->why, sizeof(n->why), "the native child exited "
			 "with status %d", WEXITSTATUS(status));
	else
		snprintf(n->why, sizeof(n->why), "native: %s failed (%s)",
			 doing, strerror(err));
	if (status != -1)
		n->pid = 0; /* reaped: nothing left to kill */
	vm_kill(n->vm, VM_EXIT_TRIPLE_FAULT, "%s", n->why);
	x->reason = EXIT_INTERRUPT; /* nothing left to do but stop */
	x->rip = n->vm->vcpu.rip;
}

/* An injected call failed: if that is because the child is gone, report
 * it as child_lost does and return true. */
static bool child_gone(struct nat *n, struct vm_exit *x)
{
	struct user_regs_struct r;
	int status;

	if (n->pid <= 0 || ptrace(PTRACE_GETREGS, n->pid, 0, &r) == 0 ||
	    errno != ESRCH || (status = reap_child(n)) == -1)
		return false;
	child_lost(n, x, status, 0, "");
	return true;
}

/* Read guest-linear bytes through the current shadow view. */
static bool read_linear(const struct vm *vm, uint64_t va, uint8_t *buf,
			unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		uint64_t leaf = shadowpt_lookup(vm, va + i);
		const uint8_t *p = leaf ? gm_ptr(&vm->mem, (leaf & PTE_ADDR_MASK)
						 + ((va + i) & ~PAGE_4K_MASK), 1)
					: NULL;
		if (!p)
			return false;
		buf[i] = *p;
	}
	return true;
}

static void set_exception(struct vm_exit *x, uint64_t rip, uint8_t vector,
			  bool has_error, uint32_t error)
{
	x->reason = EXIT_EXCEPTION;
	x->rip = rip;
	x->exc.vector = vector;
	x->exc.has_error = has_error;
	x->exc.error = error;
	x->exc.address = 0;
}

/* Decode the instruction at rip from as many of its bytes as the shadow
 * maps (it may run into a page the child lacks).  false: none, or junk. */
static bool decode_at(const struct vm *vm, uint64_t rip, struct insn *in)
{
	uint8_t buf[INSN_MAX];
	unsigned len = INSN_MAX;

	while (len && !read_linear(vm, rip, buf, len))
		len--;
	return len && isa_decode_bytes(buf, len, rip, in) == DECODE_OK;
}

/*
 * Does the instruction at rip write memory?  The signal does not say, so
 * decode it: an explicit memory operand written, or a push, call, string
 * store or enter that writes the stack or [rdi].
 */
static bool insn_writes(struct vm *vm, uint64_t rip)
{
	struct insn in;

	if (!decode_at(vm, rip, &in))
		return false;
	for (int i = 0; i < in.x86.op_count; i++)
		if (in.x86.operands[i].type == X86_OP_MEM &&
		    (in.x86.operands[i].access & CS_AC_WRITE))
			return true;
	switch (in.id) {
	case X86_INS_PUSH: case X86_INS_PUSHFQ: case X86_INS_CALL:
	case X86_INS_ENTER: case X86_INS_STOSB: case X86_INS_STOSW:
	case X86_INS_STOSD: case X86_INS_STOSQ: case X86_INS_MOVSB:
	case X86_INS_MOVSW: case X86_INS_MOVSD: case X86_INS_MOVSQ:
		return true;
	default:
		return false;
	}
}

/* Can the child fetch at va: does its mirror map the page executable?
 * (At a stop the mirror maps each page exactly as the shadow says.) */
static bool child_can_fetch(const struct vm *vm, uint64_t va)
{
	uint64_t leaf = va < NAT_LINEAR_LIMIT ? shadowpt_lookup(vm, va) : 0;

	return leaf && !(leaf & PTE_NX);
}

/* The length of the instruction at rip, or INSN_MAX when its bytes are not
 * all in the shadow (it runs into a page the child lacks) or undecodable. */
static unsigned insn_length(const struct vm *vm, uint64_t rip)
{
	struct insn in;

	return decode_at(vm, rip, &in) ? in.size : INSN_MAX;
}

/*
 * Was the fault at va the fetch of the instruction at rip?  The signal does
 * not say, and a store may target the very bytes being executed, or the
 * page right after a short instruction: the same addresses a fetch faults
 * at.  The CPU fetches before it executes, so the fault is the fetch
 * exactly when va lies inside the instruction's bytes and the child cannot
 * fetch from va's page; otherwise the instruction was fetched whole and
 * the fault is its data access.
 */
static bool fault_is_fetch(const struct vm *vm, uint64_t rip, uint64_t va)
{
	if (va < rip || va - rip >= INSN_MAX || child_can_fetch(vm, va))
		return false;
	return va - rip < insn_length(vm, rip);
}

/*
 * A page fault at va that the shadow does not cover: rebuild the error
 * code.  U always (the real CPU is at ring 3); P when the shadow had the
 * page (a protection fault); I for a fetch (fault_is_fetch); W for a write
 * (a protection fault that is no fetch on a page mapped without write: the
 * shadow's read-only pages and the BIOS area, which the mirror maps so).
 */
static void page_fault(struct nat *n, struct vm_exit *x, uint64_t va)
{
	struct vm *vm = n->vm;
	uint64_t rip = vm->vcpu.rip, leaf = shadowpt_lookup(vm, va);
	uint32_t err = PFEC_U;

	if (leaf)
		err |= PFEC_P;
	if (fault_is_fetch(vm, rip, va))
		err |= PFEC_I;
	else if (leaf ? !(leaf & PTE_W) || gm_is_rom(leaf & PTE_ADDR_MASK)
		      : insn_writes(vm, rip))
		err |= PFEC_W; /* the BIOS area is mapped read-only: a write */
	set_exception(x, rip, T_PF, true, err);
	x->exc.address = va;
	n->last_pf = (struct nat_fault){ va, n->mirror.root, err & PFEC_W };
	n->last_pf_valid = true;
}

/*
 * SIGSEGV without an address: a #GP (or #SS, #NP) at ring 3.  int n with a
 * gate the host gives ring 3 (Linux: vector 4) runs the host's handler and
 * lands here with RIP after the instruction; the guest's gate is ring 0.
 */
static void general_protection(struct nat *n, struct vm_exit *x)
{
	struct vm *vm = n->vm;
	uint64_t rip = vm->vcpu.rip;
	uint8_t b[2];

	if (read_linear(vm, rip, b, 2) && b[0] == 0xcd) {
		set_exception(x, rip, T_GP, true, b[1] * 8u + 2);
		return;
	}
	if (read_linear(vm, rip - 2, b, 2) && b[0] == 0xcd && b[1] == T_OF) {
		vm->vcpu.rip = rip - 2;
		set_exception(x, rip - 2, T_GP, true, T_OF * 8u + 2);
		return;
	}
	set_exception(x, rip, T_GP, true, 0);
}

static bool in_stub(uint64_t va)
{
	return va >= NAT_STUB_VA && va < NAT_STUB_VA + PAGE_4K;
}

/*
 * A SYSEMU stop: the child entered the host kernel through a system call,
 * which was skipped.  RIP is after the 2-byte instruction; the guest's
 * syscall goes to its LSTAR, int 0x80 to its (ring-0) IDT gate.
 */
static void syscall_stop(struct nat *n, struct vm_exit *x,
			 const struct user_regs_struct *r)
{
	struct vm *vm = n->vm;
	uint64_t at = r->rip - 2;
	uint8_t b[2] = { 0, 0 };

	vm->vcpu.regs[GPR_RAX] = r->orig_rax; /* the kernel put -ENOSYS */
	vm->vcpu.rip = at;
	read_linear(vm, at, b, 2);
	if (b[0] == 0x0f && b[1] == 0x05) {
		x->reason = EXIT_SYSCALL;
		x->rip = at;
	} else if (b[0] == 0xcd) {
		set_exception(x, at, T_GP, true, b[1] * 8u + 2);
	} else { /* sysenter, or code that changed under us */
		set_exception(x, at, T_UD, false, 0);
	}
}

/* SIGTRAP: int3, the guest's TF, or the single step we asked for. */
static void trap_stop(struct nat *n, struct vm_exit *x, const siginfo_t *si,
		      bool stepping)
{
	struct vcpu *v = &n->vm->vcpu;

	if (si->si_code == TRAP_TRACE && stepping && !(v->rflags & FL_TF)) {
		v->instructions++;
		x->reason = EXIT_INTERRUPT;
		x->rip = v->rip;
		return;
	}
	if (si->si_code == TRAP_HWBKPT && nat_debug_stop(n, x))
		return; /* the debugger's breakpoint or watchpoint */
	if (si->si_code == SI_KERNEL) /* int3 or int 3: a trap */
		set_exception(x, v->rip, T_BP, false, 0);
	else
		set_exception(x, v->rip, T_DB, false, 0);
}

/*
 * SIGSYS from the seccomp filter: the one way into the host kernel that
 * PTRACE_SYSEMU does not stop, a call into the legacy vsyscall page
 * (0xffffffffff600000), which the host kernel emulates on the fetch
 * fault.  The filter refused it; the kernel has already "returned" from
 * it (RIP popped from the stack, RAX = -ENOSYS).  Undo the return and
 * report what a real CPU would: a #PF fetching at the vsyscall address,
 * which the guest cannot have mapped.  (Its RAX is lost.)
 */
static void vsyscall_fault(struct nat *n, struct vm_exit *x,
			   const siginfo_t *si)
{
	struct vcpu *v = &n->vm->vcpu;
	uint64_t at = (uint64_t)(uintptr_t)si->si_call_addr;

	if (at < NAT_LINEAR_LIMIT) { /* cannot happen: the stub's calls */
		x->reason = EXIT_INTERNAL;
		x->why = "native: seccomp refused a system call SYSEMU missed";
		return;
	}
	v->regs[GPR_RSP] -= 8;
	v->rip = at;
	page_fault(n, x, at);
}

static bool near(uint64_t va, uint64_t base)
{
	return va - (base - NAT_WINDOW_REACH) < 2 * NAT_WINDOW_REACH;
}

/*
 * A fault at va inside the window of a base the child cannot hold: the
 * guest's code used its kernel-half FS or GS base, which no host process
 * can address.  Stop the guest and say so.  Returns true when it did.
 */
static bool base_window_fault(struct nat *n, struct vm_exit *x, uint64_t va)
{
	struct vcpu *v = &n->vm->vcpu;
	struct user_regs_struct r;
	int seg;

	if (n->regs.fs_base == NAT_FS_WINDOW && near(va, NAT_FS_WINDOW))
		seg = SEG_FS;
	else if (n->regs.gs_base == NAT_GS_WINDOW && near(va, NAT_GS_WINDOW))
		seg = SEG_GS;
	else
		return false;
	if (regs_in(n, &r) < 0)
		return false;
	vm_kill_at(n->vm, VM_EXIT_TRIPLE_FAULT, v->rip, "the guest accesses "
		   "%#" PRIx64 " through its %s base %#" PRIx64 ": the native "
		   "engine cannot run code that uses a kernel-half base (no "
		   "host process can address it)", v->seg[seg].base +
		   (va - (seg == SEG_FS ? NAT_FS_WINDOW : NAT_GS_WINDOW)),
		   seg == SEG_FS ? "FS" : "GS", v->seg[seg].base);
	x->reason = EXIT_INTERRUPT; /* nothing left to do but stop */
	x->rip = v->rip;
	return true;
}

/* A signal-delivery stop (the signal is never delivered).  Returns false
 * when the stop needs no exit (a page the mirror lacked, now mapped). */
static bool signal_stop(struct nat *n, struct vm_exit *x, int sig,
			bool stepping)
{
	struct user_regs_struct r;
	siginfo_t si;
	uint64_t addr;

	if (ptrace(PTRACE_GETSIGINFO, n->pid, 0, &si) < 0)
		si.si_code = SI_USER;
	addr = (uint64_t)(uintptr_t)si.si_addr;
	if (sig == SIGSEGV && si.si_code > 0 && si.si_code != SI_KERNEL) {
		if (base_window_fault(n, x, addr))
			return true;
		int m = nat_mirror_fault(n, addr);
		if (m > 0)
			return false;
		if (m < 0) {
			if (child_gone(n, x))
				return true;
			/* stopped already when the guest maps what cannot
			 * be mirrored; else the engine's own failure */
			x->reason = n->vm->stopped ? EXIT_INTERRUPT :
				    EXIT_INTERNAL;
			x->why = n->why;
			return true;
		}
	}
	if (si.si_code <= 0 && sig != SIGSYS) /* kill(2) from outside: ignore */
		return false;
	if (regs_in(n, &r) < 0) {
		child_lost(n, x, -1, errno, "PTRACE_GETREGS");
		return true;
	}
	uint64_t rip = n->vm->vcpu.rip;
	/* The stub page is there only while the monitor injects a call
	 * (child.c): a guest access to it, a read, a fetch or the end of an
	 * instruction running into it, is SIGBUS at that address.  The guest
	 * cannot map it (mirror.c stops it first): a #PF, not present. */
	if (sig == SIGBUS && in_stub(addr)) {
		page_fault(n, x, addr);
		return true;
	}
	switch (sig) {
	case SIGSEGV:
		if (si.si_code == SI_KERNEL)
			general_protection(n, x);
		else
			page_fault(n, x, addr);
		break;
	case SIGTRAP:
		trap_stop(n, x, &si, stepping);
		break;
	case SIGILL:
		set_exception(x, rip, T_UD, false, 0);
		break;
	case SIGFPE:
		set_exception(x, rip, si.si_code == FPE_INTDIV ||
			      si.si_code == FPE_INTOVF ? T_DE : T_XM, false, 0);
		break;
	case SIGBUS:
		set_exception(x, rip, T_AC, true, 0);
		break;
	case SIGSYS:
		vsyscall_fault(n, x, &si);
		break;
	default:
		return false;
	}
	return true;
}

/*
 * The page of the last #PF, filled by the dispatcher meanwhile, is mapped
 * at once; if the dispatcher gave the fault to the guest instead, its
 * page waits for the retry (nat_mirror_retry).  0, or -1 as
 * nat_mirror_fault.
 */
static int map_last_fault(struct nat *n)
{
	int r = 0;

	if (n->last_pf_valid) {
		n->last_pf_valid = false;
		r = nat_mirror_fault(n, n->last_pf.va);
		if (r == 0) {
			n->retry = RETRY_FAULTED;
			n->retry_pf = n->last_pf;
		}
	}
	return r < 0 ? -1 : nat_mirror_retry(n);
}

/* Before a resume: the child of the current shadow root runs (space.c),
 * its mirror follows the shadow, and the last #PF's page is mapped when
 * the shadow has it. */
static bool prepare(struct nat *n, struct vm_exit *x)
{
	/* A batch of injected calls left open by a failed fill is closed
	 * first: the registers a switch moves are the guest's. */
	if (nat_inject_end(n, true) < 0 ||
	    nat_space_select(n) < 0 || nat_mirror_sync(n) < 0 ||
	    map_last_fault(n) < 0) {
		if (child_gone(n, x))
			return false;
		/* A guest the mirror cannot follow is already stopped (as
		 * kvm does: nothing left but to stop); anything else is the
		 * engine's own failure. */
		x->reason = n->vm->stopped ? EXIT_INTERRUPT : EXIT_INTERNAL;
		x->why = n->why;
		return false;
	}
	/* regs_out sets every register from n->regs when they are valid */
	if (nat_inject_end(n, !n->regs_valid) < 0 || regs_out(n) < 0) {
		child_lost(n, x, -1, errno, "PTRACE_SETREGS");
		return false;
	}
	return true;
}

/*
 * Has the child left 64-bit mode?  On an Intel CPU, sysenter at ring 3 in
 * a 64-bit process enters the host kernel's 32-bit fast system call path
 * (entry_SYSENTER_compat, do_fast_syscall_32), which keeps neither RIP nor
 * RSP: it sets CS to __USER32_CS, RSP to the guest's RBP, RIP to the
 * 32-bit vDSO's int 0x80 landing pad (above NAT_LINEAR_LIMIT: the address
 * the monitor's vDSO had), reads EBP from [(u32)RBP] and then
 *   - if that read worked: a system call entry, stopped by PTRACE_SYSEMU
 *     and never performed (an i386 call, which seccomp refuses too);
 *   - if not: back to user space in compatibility mode at the landing
 *     pad's low 32 bits, where the child faults or runs guest code as
 *     32-bit code until its next stop.
 * The guest's RIP is lost, so the engine cannot raise the #UD softcpu
 * (and an AMD CPU) raises: it stops the guest with one line saying why
 * (README.md, "Limits").  Returns true when it did.
 */
static bool left_long_mode(struct nat *n, struct vm_exit *x, int st)
{
	const struct user_regs_struct *r = &n->regs;

	/* Other stops are judged by nat_child_segments (run_once). */
	if (!n->regs_valid || r->cs == NAT_USER_CS ||
	    WSTOPSIG(st) != (SIGTRAP | 0x80))
		return false;
	if (r->cs == NAT_USER32_CS && r->rip >= NAT_LINEAR_LIMIT)
		vm_kill(n->vm, VM_EXIT_TRIPLE_FAULT, "the guest executed "
			"sysenter, which on an Intel host enters the host "
			"kernel's 32-bit system call path and loses RIP "
			"(the call was not performed; softcpu raises #UD)");
	else
		vm_kill_at(n->vm, VM_EXIT_TRIPLE_FAULT, r->rip, "the guest "
			   "made a system call outside 64-bit mode (cs %#llx), "
			   "after a far transfer to a host code segment",
			   (unsigned long long)r->cs);
	x->reason = EXIT_INTERRUPT; /* nothing left to do but stop */
	x->rip = r->rip;
	return true;
}

/* One stop of the child, in 64-bit mode or not, -> *x.  false: resume. */
static bool classify_stop(struct nat *n, struct vm_exit *x, int st,
			  bool stepping)
{
	struct user_regs_struct r;

	/* Whatever stopped the child, an interrupt sent before it is spent:
	 * nat_wait sends another if the time is still due. */
	bool wanted = n->interrupt_sent;

	n->interrupt_sent = false;
	n->stops++;
	if ((st >> 16) == PTRACE_EVENT_STOP) {
		if (!wanted)
			return false; /* a late interrupt or a group stop */
		if (regs_in(n, &r) < 0)
			return false;
		x->reason = EXIT_INTERRUPT;
		x->rip = n->vm->vcpu.rip;
		return true;
	}
	if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
		if (regs_in(n, &r) < 0)
			return false;
		syscall_stop(n, x, &r);
		return true;
	}
	return signal_stop(n, x, WSTOPSIG(st), stepping);
}

/* One stop of the child -> *x.  false: nothing for the monitor, resume. */
static bool classify(struct nat *n, struct vm_exit *x, int st, bool stepping)
{
	if (!classify_stop(n, x, st, stepping))
		return false;
	left_long_mode(n, x, st);
	return true;
}

/*
 * sti (or mov to %ss) blocks interrupts for one instruction, and the
 * run loop asks for control right after it (insn_deadline) so that an
 * interrupt waiting behind the shadow is taken in time: the engine then
 * single-steps that instruction, one more stop.  When no interrupt is
 * waiting and no device event is due there is nothing to deliver at the
 * shadow's end, and the child may run free: an event that falls due later
 * stops it as any other (nat_wait), and run_once counts the shadow's
 * instruction as retired when the child stops at another RIP.
 */
static bool shadow_needs_step(struct vm *vm)
{
	return devices_intr_pending(vm) ||
	       clock_next_deadline(vm) <= clock_now(vm);
}

/*T:140 One run of the native engine: copy the vCPU into the child's
 * registers, resume it with PTRACE_SYSEMU (every system call it makes
 * stops it unperformed), wait for the stop, and turn the stop into one
 * exit for the dispatcher.  A tracer learns only the signal and the
 * faulting address; the vector and error code are rebuilt from them, the
 * bytes at RIP and the shadow page tables (classify() and its helpers).
 */
static void run_once(struct nat *n, struct vm_exit *x)
{
	struct vm *vm = n->vm;
	struct vcpu *v = &vm->vcpu;
	/* sti's shadow and --single-step: one instruction, by the CPU's TF */
	bool shadow = vm->insn_deadline <= v->instructions + 1;
	bool step = vm->single_step || (shadow && shadow_needs_step(vm));
	uint64_t rip0 = v->rip;
	int st;

	if (vm->kick) {
		x->reason = EXIT_INTERRUPT;
		x->rip = v->rip;
		return;
	}
	if (!prepare(n, x))
		return;
	for (;;) {
		nat_clock_resume(n);
		uint64_t stop_at = step ? UINT64_MAX : nat_event_deadline(vm);
		st = -1;
		/* The child runs: registers read before are not what it will
		 * hold at the next stop (a stop that needs no exit may come
		 * after a regs_in: signal_stop's default). */
		n->regs_of = 0;
		if (nat_inject_end(n, true) < 0 || /* after a mirror fill */
		    ptrace(step ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU,
			   n->pid, 0, 0) < 0 || nat_wait(n, stop_at, &st) < 0) {
			child_lost(n, x, st, errno, "resuming the child");
			return;
		}
		nat_clock_stop(n);
		if (classify(n, x, st, step))
			break;
	}
	/* A host selector loaded since the last stop: nothing to emulate.
	 * (A system-call stop shows the selectors the kernel's entry puts,
	 * 0x33 for syscall, 0x23 for sysenter: the next stop will tell.) */
	if (n->regs_valid && x->reason != EXIT_INTERNAL &&
	    WSTOPSIG(st) != (SIGTRAP | 0x80) &&
	    nat_child_segments(&n->regs, n->why, sizeof(n->why)) < 0) {
		/* The guest did it: it is stopped with the reason (tier 2 of
		 * core/panic.h), not the monitor. */
		vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, v->rip, "%s", n->why);
		x->reason = EXIT_INTERRUPT; /* nothing left to do but stop */
		x->rip = v->rip;
		return;
	}
	/* Ran free through a shadow: stopped elsewhere, the shadow's
	 * instruction retired.  (At the same RIP it may not have: the
	 * shadow stays, and the next run steps.) */
	if (shadow && !step && v->rip != rip0)
		v->instructions++;
}

/* Is x a hlt?  Its sleep must pass on the virtual clock (clock.c). */
static bool exit_is_hlt(struct nat *n, const struct vm_exit *x)
{
	uint8_t b;

	return x->reason == EXIT_EXCEPTION && x->exc.vector == T_GP &&
	       read_linear(n->vm, x->rip, &b, 1) && b == 0xf4 &&
	       !(n->vm->patch && patch_owns(n->vm, x->rip));
}

static void nat_run(struct vm *vm, struct vm_exit *x)
{
	struct nat *n = vm->engine_data;

	nat_clock_release(n);
	run_once(n, x);
	nat_clock_hold(n, exit_is_hlt(n, x));
}

static int nat_probe(char *why, size_t len)
{
	return nat_child_probe(why, len);
}

/* What native cannot do, said in one line before anything starts. */
static int refuse_options(const struct vm *vm, char *why, size_t len)
{
	/*
	 * The child is an ordinary 64-bit process: the host kernel gives it
	 * no 32-bit code segment to run a guest's 32-bit code in (a kernel
	 * built without IA-32 emulation, as on the hosts this was written
	 * on), and a guest's own segments cannot be expressed by the host's
	 * flat ones anyway.
	 */
	if (cpu_mode(&vm->vcpu) != CPU_LONG) {
		snprintf(why, len, "the guest starts in 32-bit protected mode, "
			 "and the native engine runs 64-bit guest code only "
			 "(use --engine=softcpu)");
		return -1;
	}
	if (vm->opt.isa == ISA_STRICT) {
		snprintf(why, len, "--isa=strict needs every sensitive "
			 "instruction to trap, and on the host CPU pushf, cpuid, "
			 "mov from %%cs... never do (use --engine=softcpu)");
		return -1;
	}
	/*
	 * The host's UMIP is on already, but the host kernel answers the
	 * #GP itself (arch/x86/kernel/umip.c spoofs sgdt, sidt, sldt, smsw
	 * and str for 64-bit processes too): no signal, nothing to trace.
	 */
	if (vm->opt.isa_hw & ISA_HW_UMIP) {
		snprintf(why, len, "--isa=x86,umip: the host kernel answers "
			 "the UMIP #GP of sgdt, sidt, sldt, smsw and str itself "
			 "with made-up values, and no signal reaches the tracer "
			 "(use --engine=softcpu)");
		return -1;
	}
	if ((vm->opt.isa_hw & ISA_HW_CPUID_FAULT) &&
	    nat_cpuid_fault_probe(why, len) < 0)
		return -1;
	if (vm->opt.icount_ns) {
		snprintf(why, len, "--icount needs the guest's instructions "
			 "counted, which the host CPU cannot do for a ptraced "
			 "process (use --engine=softcpu)");
		return -1;
	}
	if (vm->mem.fd < 0) {
		snprintf(why, len, "guest RAM is not a memfd");
		return -1;
	}
	return 0;
}

/* Kill the child and free the engine's state. */
static void nat_fini_state(struct nat *n)
{
	nat_spaces_stop(n);
	nat_child_stop(n);
	nat_mirror_fini(&n->mirror);
	free(n);
}

/*
 * The monitor and its children take turns: while a child runs the guest
 * the monitor waits for it to stop, and while the monitor emulates, the
 * child is stopped.  Left to itself the scheduler often wakes a resumed
 * child on the other CPU, and the monitor on another when the child
 * stops, and every such wake-up across CPUs is an interprocessor
 * interrupt; in a virtual machine, as on the machines this was measured
 * on, that is itself an exit to the host's hypervisor.  There the bare
 * ptrace round trip (bench/host/hostbench.c) cost about 120,000 TSC
 * cycles across CPUs against 11,000 on one, and the bench guest's
 * syscall row 75,000 to 219,000 cycles an iteration against 30,000
 * (engines/native/README.md, "One CPU for the monitor and its
 * children").  So the engine binds the thread that runs the guest to
 * the CPU it is on, and with it every child, which inherits it as fork
 * copies the affinity: the pair then hands the CPU back and forth, as a
 * hypervisor's vCPU thread runs its guest on the CPU it holds.  Threads
 * made before (the device back ends' I/O threads) keep theirs.  Where
 * the binding is refused (a cpuset that forbids it) the engine runs
 * unbound, only slower.
 */
static void nat_bind_cpu(struct nat *n)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	n->cpu = -1;
	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == 0)
		n->cpu = cpu;
}

static int nat_init(struct vm *vm, char *why, size_t len)
{
	struct nat *n;
	sigset_t chld;

	if (refuse_options(vm, why, len) < 0)
		return -1;
	if (!(n = calloc(1, sizeof(*n))) || nat_mirror_init(&n->mirror) < 0) {
		free(n);
		snprintf(why, len, "out of memory");
		return -1;
	}
	n->vm = vm;
	n->reaped = -1;
	n->memfd = vm->mem.fd;
	n->cpuid_fault = (vm->opt.isa_hw & ISA_HW_CPUID_FAULT) != 0;
	n->mirror.root = vm->spt->current;
	/* nat_wait sleeps in sigtimedwait for SIGCHLD: keep it pending */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	nat_bind_cpu(n); /* before the first child: it inherits the CPU */
	if (nat_child_start(n, why, len) < 0) {
		nat_mirror_fini(&n->mirror);
		free(n);
		return -1;
	}
	if (nat_spaces_start(n, why, len) < 0) {
		nat_fini_state(n);
		return -1;
	}
	/* --isa=x86,cpuid-fault: the monitor's thread faults on cpuid as its
	 * children do, so that no switch between them rewrites the MSR that
	 * says so (child.c, nat_cpuid_fault_self).  nat_spaces_start asked
	 * CPUID the last thing it needs (the tile data's offset). */
	if (n->cpuid_fault && nat_cpuid_fault_self() < 0) {
		snprintf(why, len, "cannot make the monitor's cpuid fault: %s",
			 strerror(errno));
		nat_fini_state(n);
		return -1;
	}
	if (nat_clock_init(n) < 0) {
		snprintf(why, len, "cannot read the child's CPU clock");
		nat_fini_state(n);
		return -1;
	}
	vm->engine_data = n;
	return 0;
}

static void nat_flush(struct vm *vm, uint64_t va)
{
	struct nat *n = vm->engine_data;

	if (n)
		nat_space_invalidate(n, va);
}

/*
 * A change of virtual CPL: the shadow's other view is current, and no
 * entry changed, so no child has anything to unmap.  The next run finds
 * spt->current followed by another child and switches to it (space.c).
 */
static void nat_switch_view(struct vm *vm)
{
	(void)vm;
}

/*
 * The monitor wrote guest RAM (an emulated store, DMA): the child sees it
 * through its mappings with no copy to forget; under --patch, scanned code
 * written so loses its patches (patch_ram_written), and the mirror follows
 * the frames' new rights before the next resume.
 */
static void nat_ram_written(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct nat *n = vm->engine_data;
	uint64_t ram = gm_offset(&vm->mem, gpa, len);

	if (!n || !vm->patch || ram == GM_NO_RAM)
		return;
	if (patch_ram_written(vm->patch, ram, len))
		nat_space_invalidate(n, SHADOW_FLUSH_ALL);
}

/* --stats: where the monitor and its children ran (nat_bind_cpu). */
static void nat_print_stats(const struct vm *vm, double secs, FILE *f)
{
	const struct nat *n = vm->engine_data;

	(void)secs;
	if (!n)
		return;
	if (n->cpu >= 0)
		fprintf(f, "native: the monitor's thread and its children bound "
			"to CPU %d (they take turns: no wake-up across CPUs)\n",
			n->cpu);
	else
		fprintf(f, "native: not bound to one CPU (the binding was "
			"refused): every stop may wake across CPUs\n");
	if (n->cpuid_fault)
		fprintf(f, "native: CPUID faulting on in the monitor's thread "
			"as in its children (no MSR rewritten at each switch "
			"between them)\n");
	if (n->retry_maps)
		fprintf(f, "native: %" PRIu64 " pages of the guest's own page "
			"faults mapped ahead of their retry (fetched with their "
			"accessed flags already set)\n", n->retry_maps);
	/* Each stop and each injected call is a resume of a child and a
	 * wait for its stop: one ptrace round trip at the least. */
	fprintf(f, "native: round trips: %" PRIu64 " stops of the guest's "
		"child, %" PRIu64 " system calls injected in %" PRIu64
		" batches (the stub page opened and closed for each); %"
		PRIu64 " changes of child (%" PRIu64 " set the XSAVE state)\n",
		n->stops, n->injected, n->batches, n->switches, n->xsets);
}

static void nat_fini(struct vm *vm)
{
	if (vm->engine_data)
		nat_fini_state(vm->engine_data);
	vm->engine_data = NULL;
}

/*
 * The monitor's sandbox (monitor/sandbox.c) allows these besides its own:
 * ptrace for every stop, wait4 (waitpid) for the child's stops,
 * rt_sigtimedwait to sleep until SIGCHLD, kill to interrupt and end it,
 * ftruncate and pwrite64 to open the stub page around an injected call
 * and close it after (child.c, stub_open and stub_close).
 */
static const int nat_sandbox_syscalls[] = {
	SYS_ptrace, SYS_wait4, SYS_rt_sigtimedwait, SYS_kill, SYS_ftruncate,
	SYS_pwrite64, -1
};

const struct engine engine_native = {
	.name = "native",
	.probe = nat_probe,
	.init = nat_init,
	.run = nat_run,
	.flush = nat_flush,
	.switch_view = nat_switch_view,
	.ram_written = nat_ram_written, /* --patch only: the child maps
					   guest RAM itself, no copies */
	.set_debug = nat_set_debug,
	.debug_watchpoints = true,
	.print_stats = nat_print_stats,
	.fini = nat_fini,
	.sandbox_syscalls = nat_sandbox_syscalls,
};

#else /* not Linux x86-64 */

static int nat_probe(char *why, size_t len)
{
	snprintf(why, len, "the native engine needs Linux on x86-64");
	return -1;
}

static int nat_init(struct vm *vm, char *why, size_t len)
{
	(void)vm;
	return nat_probe(why, len);
}

static void nat_run(struct vm *vm, struct vm_exit *x)
{
	(void)vm;
	x->reason = EXIT_INTERNAL;
	x->why = "the native engine needs Linux on x86-64";
}

const struct engine engine_native = {
	.name = "native",
	.probe = nat_probe,
	.init = nat_init,
	.run = nat_run,
};

#endif
