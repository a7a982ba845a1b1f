/*
 * engines/kvm/kick.c - bring KVM_RUN back to the monitor for the timer.
 *
 * The softcpu engine counts instructions and comes back at a deadline; a
 * CPU in guest mode cannot be asked to count, and a guest computing in a
 * loop never exits by itself.  So the engine arms a host timer for the next
 * device event (the PIT's next tick).  Its signal interrupts KVM_RUN, which
 * returns -EINTR; the dispatcher then raises IRQ 0 through the PIC and
 * delivers the interrupt, exactly as on the other engines.
 *
 * A signal that lands just before KVM_RUN would be missed, so the handler
 * also sets kvm_run.immediate_exit: KVM_RUN then returns at once.
 */
#include "engines/kvm/kvm.h"

#ifdef KVM_ENGINE_BUILT
#include <signal.h>
#include <stdint.h>
#include <string.h>

#define KV_KICK_SIGNAL SIGALRM

/* The vCPU the handler kicks (one per process). */
static struct kvm_run *volatile kick_run;

static void on_kick(int sig)
{
	struct kvm_run *r = kick_run;

	(void)sig;
	if (r)
		r->immediate_exit = 1;
}

int kv_kick_init(struct kv *k)
{
	struct sigaction sa;
	struct sigevent ev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = KV_KICK_SIGNAL,
	};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick; /* no SA_RESTART: KVM_RUN must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(KV_KICK_SIGNAL, &sa, NULL) < 0 ||
	    timer_create(CLOCK_MONOTONIC, &ev, &k->timer) < 0)
		return -1;
	k->have_timer = true;
	k->kick_ns = UINT64_MAX; /* created disarmed */
	kick_run = k->run;
	return 0;
}

void kv_kick_at(struct kv *k, uint64_t t_ns)
{
	struct itimerspec it = { { 0, 0 }, { 0, 0 } };

	/* Most exits leave the next tick where it was: no system call. */
	if (t_ns == k->kick_ns)
		return;
	k->kick_ns = t_ns;
	if (t_ns != UINT64_MAX) {
		/* An absolute time of 0 would disarm: a due event is 1 ns. */
		t_ns = t_ns ? t_ns : 1;
		it.it_value.tv_sec = (time_t)(t_ns / 1000000000ULL);
		it.it_value.tv_nsec = (long)(t_ns % 1000000000ULL);
	}
	timer_settime(k->timer, TIMER_ABSTIME, &it, NULL);
}

void kv_kick_fini(struct kv *k)
{
	if (!k->have_timer)
		return;
	timer_delete(k->timer);
	k->have_timer = false;
	kick_run = NULL;
	signal(KV_KICK_SIGNAL, SIG_DFL);
}
#endif /* KVM_ENGINE_BUILT */
