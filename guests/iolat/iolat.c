/*
 * guests/iolat/iolat.c - the dom0 experiment's workload (bench/dom0.sh):
 * synchronous 4 KiB reads of a virtio-blk disk, each timed by the guest.
 *
 * The guest brings the card up (runtime's vblk driver, polled: no
 * interrupt), then issues IOLAT_READS reads of 8 sectors
 * at pseudo-random 4 KiB-aligned places, one at a time: queue, notify,
 * spin on the used ring.  Each read's latency is the TSC from before the
 * queueing to the completion: what the guest sees, wherever the back
 * end runs (--backend).  It prints one line:
 *
 *   iolat: N reads of 4 KiB in TSC cycles: p50 X, p99 Y, max Z, total T; F failed
 *
 * in cycles of the TSC, which is the host's on every engine (rdtsc runs
 * or is emulated as the host's plus an offset); bench/dom0.sh turns them
 * into microseconds and MB/s at the host's TSC rate.  The numbers are
 * timings, so they differ from run to run; the shape of the line does
 * not.
 */
#include "cpu.h"
#include "pci.h"
#include "rt.h"
#include "vblk.h"

#define IOLAT_READS 2000
#define IOLAT_SECTORS 8 /* 4 KiB */

static struct rt_vblk vb;
static uint8_t buf[IOLAT_SECTORS * RT_BLK_SECTOR] __attribute__((aligned(4096)));
static uint64_t lat[IOLAT_READS];

/* A small xorshift: the same places on every run. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void sort(uint64_t *a, unsigned n) /* insertion sort: n is small */
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = a[i];
		unsigned j = i;

		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

int main(const char *args)
{
	static const uint16_t ids[] = { RT_VBLK_DEVICE_MODERN };
	struct rt_pci_dev d;
	uint64_t total = 0, places;
	uint32_t seed = 2463534242u;
	unsigned bad = 0;

	(void)args;
	if (!rt_pci_find(VIRTIO_PCI_VENDOR_ID, ids, 1, &d) ||
	    rt_vblk_open(&vb, &d, 1ull << VIRTIO_F_VERSION_1) < 0) {
		rt_printf("iolat: no virtio-blk card came up\n");
		return 2;
	}
	places = vb.blk.sectors / IOLAT_SECTORS;
	if (places == 0) {
		rt_printf("iolat: the disk is smaller than 4 KiB\n");
		return 2;
	}
	for (unsigned i = 0; i < IOLAT_READS; i++) {
		uint64_t lba = next_rand(&seed) % places * IOLAT_SECTORS;
		uint64_t t0 = rdtsc();

		bad += rt_blk_read(&vb.blk, lba, buf, IOLAT_SECTORS) != RT_BLK_OK;
		lat[i] = rdtsc() - t0;
		total += lat[i];
	}
	sort(lat, IOLAT_READS);
	rt_printf("iolat: %u reads of 4 KiB in TSC cycles: p50 %llu, p99 %llu, "
		  "max %llu, total %llu; %u failed\n", IOLAT_READS,
		  (unsigned long long)lat[IOLAT_READS / 2],
		  (unsigned long long)lat[IOLAT_READS * 99 / 100],
		  (unsigned long long)lat[IOLAT_READS - 1],
		  (unsigned long long)total, bad);
	return bad ? 1 : 0;
}
