/*
 * guests/umip/umip.c - the guest's own CR4.UMIP.
 *
 * UMIP (CR4 bit 11; CPUID.(EAX=7,ECX=0):ECX[2]) makes sgdt, sidt, sldt,
 * smsw and str raise #GP(0) at CPL > 0 (SDM vol. 3A, 2.5 Control
 * Registers).  A guest kernel that turns it on for its own user code is
 * asking the virtual CPU for that, which is not the same thing as the
 * monitor turning the real CPU's UMIP on under the whole guest
 * (--isa=x86,umip): then the guest kernel's own sgdt, at virtual CPL 0,
 * must still work.
 *
 * Where the virtual CPU enumerates UMIP this guest sets CR4.UMIP and
 * checks that the five instructions work at CPL 0 and fault at CPL 3, and
 * work again at CPL 3 once CR4.UMIP is clear.  Where it does not, setting
 * CR4.UMIP must be #GP(0), as on any CPU without the feature.  Exit status
 * 0 when every check passed, 1 otherwise.
 */
#include "rt.h"
#include "cpu.h"

#define UMIP_USER_CODE 0x40000000ULL
#define UMIP_USER_DATA 0x40001000ULL /* user.S's USER_DATA */
#define STAR_VALUE ((uint64_t)RT_STAR_SYSRET_BASE << 48 | \
		    (uint64_t)RT_SEL_KCODE << 32)

extern const uint8_t umip_user_page[];
void umip_sysret_to_user(uint64_t rip);
void umip_syscall_entry(void);

static uint8_t user_data[4096] __attribute__((aligned(4096)));

/* The five instructions, in user.S's order (each 16 bytes apart). */
static const char *const insn_name[] = { "sgdt", "sidt", "sldt", "str",
					 "smsw" };
#define NINSN 5

static unsigned failures;

static void check(bool ok, const char *what, const char *why)
{
	rt_printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, ok ? "" : ": ",
		  ok ? "" : why);
	failures += !ok;
}

/* What the kernel expects each instruction to store (10 bytes at most). */
static void kernel_values(uint8_t out[NINSN][16])
{
	memset(out, 0, NINSN * 16);
	__asm__ volatile("sgdt %0" : "=m"(*(uint8_t(*)[10])out[0]));
	__asm__ volatile("sidt %0" : "=m"(*(uint8_t(*)[10])out[1]));
	__asm__ volatile("sldt %0" : "=m"(*(uint16_t *)out[2]));
	__asm__ volatile("str %0" : "=m"(*(uint16_t *)out[3]));
	__asm__ volatile("smsw %0" : "=m"(*(uint16_t *)out[4]));
}

static size_t value_size(unsigned i)
{
	return i < 2 ? 10 : 2;
}

/* Run user.S's entry i at CPL 3 (an rt_try fn; arg is i). */
static void user_insn(void *arg)
{
	umip_sysret_to_user(UMIP_USER_CODE + 16 * (uintptr_t)arg);
}

/*
 * Entry i at CPL 3: with CR4.UMIP it must raise #GP(0) at the
 * instruction itself; without, store what the kernel's own did.
 */
static void check_user(unsigned i, bool umip, uint8_t want[NINSN][16])
{
	struct rt_fault f;
	const char *what = rt_fmt("%s at CPL 3, CR4.UMIP=%d", insn_name[i],
				  umip);

	memset(user_data + 16 * i, 0xa5, 16);
	int faulted = rt_try(user_insn, (void *)(uintptr_t)i, &f);
	if (umip) {
		check(faulted && f.vector == T_GP && f.error == 0 &&
		      f.rip == UMIP_USER_CODE + 16 * i && (f.cs & 3) == 3,
		      rt_fmt("%s: #GP(0)", what),
		      faulted ? rt_fmt("%s(0x%llx) at 0x%llx, cs 0x%llx",
				       rt_vector_name(f.vector),
				       (unsigned long long)f.error,
				       (unsigned long long)f.rip,
				       (unsigned long long)f.cs)
			      : "no fault");
		return;
	}
	check(!faulted && memcmp(user_data + 16 * i, want[i],
				 value_size(i)) == 0,
	      rt_fmt("%s: the kernel's value", what),
	      faulted ? rt_fmt("%s", rt_vector_name(f.vector))
		      : "not what the kernel's own stored");
}

static void set_umip(void *unused)
{
	(void)unused;
	write_cr4(read_cr4() | CR4_UMIP);
}

/* A virtual CPU without UMIP: CR4.UMIP is reserved. */
static int without_umip(void)
{
	struct rt_fault f;

	int faulted = rt_try(set_umip, NULL, &f);
	check(faulted && f.vector == T_GP && f.error == 0 &&
	      !(read_cr4() & CR4_UMIP),
	      "mov to CR4 with UMIP: #GP(0)",
	      faulted ? rt_vector_name(f.vector) : "no fault");
	return failures ? 1 : 0;
}

int main(const char *args)
{
	uint8_t want[NINSN][16];
	uint32_t r[4];

	(void)args;
	cpuid(7, 0, r);
	bool has_umip = (r[2] & CPUID_7_ECX_UMIP) != 0;
	rt_printf("umip: CPUID.(EAX=7,ECX=0):ECX.UMIP=%d\n", has_umip);
	if (!has_umip)
		return without_umip();

	wrmsr(MSR_STAR, STAR_VALUE);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)umip_syscall_entry);
	wrmsr(MSR_SFMASK, FL_IF | FL_TF | FL_DF | FL_AC);
	rt_map_page(UMIP_USER_CODE, (uintptr_t)umip_user_page, PTE_P | PTE_U);
	rt_map_page(UMIP_USER_DATA, (uintptr_t)user_data,
		    PTE_P | PTE_U | PTE_W);

	kernel_values(want);
	uint64_t cr4 = read_cr4();
	struct rt_fault f;
	/* A CPUID that is the host's (cpuid did not trap) may promise a
	 * UMIP the virtual CPU does not have: then this faults. */
	if (rt_try(set_umip, NULL, &f)) {
		check(false, "CR4.UMIP set", rt_fmt("%s(0x%llx) although CPUID "
		      "enumerates UMIP", rt_vector_name(f.vector),
		      (unsigned long long)f.error));
		return 1;
	}
	check((read_cr4() & CR4_UMIP) != 0, "CR4.UMIP set and read back",
	      "reads back clear");

	uint8_t at0[NINSN][16];
	kernel_values(at0);
	check(memcmp(at0, want, sizeof(want)) == 0,
	      "sgdt sidt sldt str smsw at CPL 0 with CR4.UMIP=1: as before",
	      "a value changed");
	for (unsigned i = 0; i < NINSN; i++)
		check_user(i, true, want);
	write_cr4(cr4);
	for (unsigned i = 0; i < NINSN; i++)
		check_user(i, false, want);
	rt_printf("umip: %u failed\n", failures);
	return failures ? 1 : 0;
}
