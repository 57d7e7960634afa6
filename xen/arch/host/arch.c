/* SPDX-License-Identifier: MIT */
/*
 * The arch interface (xeno/arch.h) and the console half of xeno/lib.h
 * (printk, panic) for a host process; the host-only interface is in
 * host.h beside it.
 *
 * The machine is one mmap'd arena of nr_frames pages plus a frame table
 * allocated separately (a real boot would carve the table from RAM and
 * leave it reserved; here it would only shrink the arena). printk writes
 * to stderr when XENO_HOST_LOG is set (to a level, 0 = errors .. 3 = debug,
 * or empty for all); panic prints and aborts unless a test armed its hook.
 *
 * Locks: none. The machine is created and destroyed by one thread while
 * no other uses it; the CPU index and panic hook are thread-local.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <time.h>

#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/mm_vcpu.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>
#include <xeno/tlb_tag.h>
#include <xeno/xmalloc.h>

#include <host.h>

static struct {
	char *arena;
	void *table;
	size_t arena_bytes;
	size_t table_bytes;
	uint64_t nr_frames;
	unsigned int nr_cpus;
} machine;

static __thread unsigned int this_cpu;
static __thread jmp_buf *panic_hook;
static __thread char panic_msg[512];
static __thread unsigned int relax_spins;

/* ---- the machine -------------------------------------------------------- */

static void *map_zeroed(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "host: cannot map %zu bytes\n", bytes);
		abort();
	}
	return p;
}

void host_machine_fini(void)
{
	if (machine.arena != NULL) {
		munmap(machine.arena, machine.arena_bytes);
		munmap(machine.table, machine.table_bytes);
	}
	memset(&machine, 0, sizeof(machine));
	frame_table = NULL;
	frame_table_nr = 0;
}

void host_machine_init_empty(uint64_t nr_frames, unsigned int nr_cpus)
{
	if (nr_cpus == 0 || nr_cpus > NR_CPUS || nr_frames == 0) {
		fprintf(stderr, "host: bad machine (%llu frames, %u cpus)\n",
			(unsigned long long)nr_frames, nr_cpus);
		abort();
	}
	host_machine_fini();
	machine.nr_frames = nr_frames;
	machine.nr_cpus = nr_cpus;
	machine.arena_bytes = (size_t)nr_frames * PAGE_SIZE;
	machine.arena = map_zeroed(machine.arena_bytes);
	machine.table_bytes = frame_table_bytes(nr_frames);
	machine.table = map_zeroed(machine.table_bytes);
	frame_table_init(machine.table, nr_frames);
	frame_alloc_init();
	xmalloc_init();
	host_tlb_reset();
	host_preempt_every(0);
	/* The memory manager's machine-wide state belongs to the machine. */
	m2p_reset();
	tlb_reset();
	tlb_tag_reset();
	mm_vcpu_reset_cpus();
	mm_outside_refs_reset();
}

void host_machine_init(uint64_t nr_frames, unsigned int nr_cpus)
{
	host_machine_init_empty(nr_frames, nr_cpus);
	if (nr_frames > HOST_RESERVED_FRAMES) {
		frame_add_free_range(mfn(HOST_RESERVED_FRAMES),
				     nr_frames - HOST_RESERVED_FRAMES);
	}
}

void *host_arena(void)
{
	return machine.arena;
}

void host_set_cpu(unsigned int cpu)
{
	if (cpu >= NR_CPUS) {
		fprintf(stderr, "host: cpu %u out of range\n", cpu);
		abort();
	}
	this_cpu = cpu;
}

/* ---- the arch interface ------------------------------------------------- */

unsigned int arch_cpu_id(void)
{
	return this_cpu;
}

unsigned int arch_nr_cpus(void)
{
	return machine.nr_cpus;
}

void *arch_mfn_to_virt(mfn_t m)
{
	if (mfn_x(m) >= machine.nr_frames) {
		panic("arch_mfn_to_virt: mfn %#llx beyond the arena",
		      (unsigned long long)mfn_x(m));
	}
	return machine.arena + mfn_x(m) * PAGE_SIZE;
}

mfn_t arch_virt_to_mfn(const void *p)
{
	const char *c = p;

	if (machine.arena == NULL || c < machine.arena ||
	    c >= machine.arena + machine.arena_bytes) {
		return INVALID_MFN;
	}
	return mfn((uint64_t)(c - machine.arena) / PAGE_SIZE);
}

/*
 * A PAUSE, and now and then a yield: host tests may run more CPU threads
 * than the host has cores, and a ticket lock whose next owner is not
 * running would otherwise spin out whole time slices.
 */
void arch_cpu_relax(void)
{
	__builtin_ia32_pause();
	if (++relax_spins % 64 == 0) {
		sched_yield();
	}
}

uint64_t arch_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void arch_halt(int xeno_status)
{
	fflush(stdout);
	fflush(stderr);
	exit(xeno_status);
}

/* ---- TLBs, roots and preemption ------------------------------------------ */

/*
 * Nothing is cached here, so a flush has nothing to do: the host arch
 * only counts and records what generic code asked for, for tests and
 * host benchmarks. Counters are atomic: CPUs are threads.
 */
static struct arch_tlb_stats tlb_stats, cpu_tlb_stats[NR_CPUS];
static struct host_tlb_call tlb_log[HOST_TLB_LOG];
static unsigned int tlb_calls;
static mfn_t loaded_root[NR_CPUS];
static bool direct_access; /* host_set_direct_access() */
static struct host_tag_load loaded_tag[NR_CPUS];
static unsigned int tlb_tags;
static unsigned int preempt_every, preempt_count;

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void arch_flush_tlb_mask(uint64_t mask, uint64_t va)
{
	uint64_t others = mask & ~(1ULL << this_cpu);
	unsigned int i = __atomic_fetch_add(&tlb_calls, 1, __ATOMIC_RELAXED);

	if (i < HOST_TLB_LOG) {
		tlb_log[i] = (struct host_tlb_call){ mask, va, this_cpu };
	}
	if (va == ARCH_FLUSH_ALL) {
		stat_add(&tlb_stats.local_flushes,
			 (uint64_t)__builtin_popcountll(mask));
		stat_add(&tlb_stats.global_flushes,
			 (uint64_t)__builtin_popcountll(mask));
		for (unsigned int c = 0; c < NR_CPUS; c++) {
			if ((mask >> c) & 1) {
				stat_add(&cpu_tlb_stats[c].local_flushes, 1);
				stat_add(&cpu_tlb_stats[c].global_flushes, 1);
			}
		}
	} else {
		stat_add(&tlb_stats.local_invlpgs,
			 (uint64_t)__builtin_popcountll(mask));
	}
	stat_add(&tlb_stats.ipis, (uint64_t)__builtin_popcountll(others));
	if (tlb_tags != 0 && ((mask >> this_cpu) & 1)) {
		tlb_tag_flushed(va == ARCH_FLUSH_ALL);
	}
}

void arch_tlb_stats_read(struct arch_tlb_stats *out)
{
	out->local_flushes =
		__atomic_load_n(&tlb_stats.local_flushes, __ATOMIC_RELAXED);
	out->local_invlpgs =
		__atomic_load_n(&tlb_stats.local_invlpgs, __ATOMIC_RELAXED);
	out->ipis = __atomic_load_n(&tlb_stats.ipis, __ATOMIC_RELAXED);
	out->cr3_loads =
		__atomic_load_n(&tlb_stats.cr3_loads, __ATOMIC_RELAXED);
	out->global_flushes =
		__atomic_load_n(&tlb_stats.global_flushes, __ATOMIC_RELAXED);
	out->cr3_flushes =
		__atomic_load_n(&tlb_stats.cr3_flushes, __ATOMIC_RELAXED);
}

void arch_tlb_cpu_stats_read(unsigned int cpu, struct arch_tlb_stats *out)
{
	const struct arch_tlb_stats *c = &cpu_tlb_stats[cpu];

	out->local_flushes =
		__atomic_load_n(&c->local_flushes, __ATOMIC_RELAXED);
	out->local_invlpgs =
		__atomic_load_n(&c->local_invlpgs, __ATOMIC_RELAXED);
	out->ipis = 0;
	out->cr3_loads = __atomic_load_n(&c->cr3_loads, __ATOMIC_RELAXED);
	out->global_flushes =
		__atomic_load_n(&c->global_flushes, __ATOMIC_RELAXED);
	out->cr3_flushes = __atomic_load_n(&c->cr3_flushes, __ATOMIC_RELAXED);
}

unsigned int arch_tlb_tags(void)
{
	return __atomic_load_n(&tlb_tags, __ATOMIC_RELAXED);
}

void arch_load_root(mfn_t root, unsigned int tag, bool keep)
{
	if (arch_tlb_tags() == 0 && (tag != 0 || keep)) {
		panic("host: root load with tag %u keep %d but no tags", tag,
		      keep);
	}
	loaded_root[this_cpu] = root;
	loaded_tag[this_cpu] = (struct host_tag_load){ tag, keep };
	stat_add(&tlb_stats.cr3_loads, 1);
	stat_add(&cpu_tlb_stats[this_cpu].cr3_loads, 1);
	if (!keep) {
		stat_add(&tlb_stats.cr3_flushes, 1);
		stat_add(&cpu_tlb_stats[this_cpu].cr3_flushes, 1);
	}
}

void host_set_tlb_tags(unsigned int n)
{
	__atomic_store_n(&tlb_tags, n, __ATOMIC_RELAXED);
}

struct host_tag_load host_loaded_tag(unsigned int cpu)
{
	return loaded_tag[cpu];
}

bool arch_hypercall_preempt_check(void)
{
	unsigned int every = __atomic_load_n(&preempt_every, __ATOMIC_RELAXED);

	if (every == 0) {
		return false;
	}
	return __atomic_add_fetch(&preempt_count, 1, __ATOMIC_RELAXED) %
		       every ==
	       0;
}

void host_tlb_reset(void)
{
	unsigned int i;

	memset(&tlb_stats, 0, sizeof(tlb_stats));
	memset(cpu_tlb_stats, 0, sizeof(cpu_tlb_stats));
	memset(tlb_log, 0, sizeof(tlb_log));
	tlb_calls = 0;
	direct_access = false;
	for (i = 0; i < NR_CPUS; i++) {
		loaded_root[i] = INVALID_MFN;
		loaded_tag[i] = (struct host_tag_load){ 0, false };
	}
	tlb_tags = 0;
}

unsigned int host_tlb_calls(void)
{
	return __atomic_load_n(&tlb_calls, __ATOMIC_RELAXED);
}

struct host_tlb_call host_tlb_call(unsigned int i)
{
	if (i >= HOST_TLB_LOG || i >= host_tlb_calls()) {
		return (struct host_tlb_call){ 0, 0, ~0U };
	}
	return tlb_log[i];
}

mfn_t host_loaded_root(unsigned int cpu)
{
	return cpu < NR_CPUS ? loaded_root[cpu] : INVALID_MFN;
}

void host_preempt_every(unsigned int n)
{
	__atomic_store_n(&preempt_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&preempt_every, n, __ATOMIC_RELAXED);
}

/* ---- console ------------------------------------------------------------ */

/* The XENO_HOST_LOG level: -1 (quiet) if unset, LOG_DEBUG if not a number. */
static int log_level(void)
{
	const char *s = getenv("XENO_HOST_LOG");
	char *end;
	long v;

	if (s == NULL) {
		return -1;
	}
	v = strtol(s, &end, 10);
	return (end == s || *end != '\0') ? LOG_DEBUG : (int)v;
}

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	if ((int)level > log_level()) {
		return;
	}
	fprintf(stderr, "(XENO) [cpu%u] ", this_cpu);
	vfprintf(stderr, fmt, ap);
}

void printk(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	jmp_buf *hook = panic_hook;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	if (hook != NULL) {
		panic_hook = NULL;
		printk(LOG_DEBUG, "expected panic: %s\n", panic_msg);
		longjmp(*hook, 1);
	}
	fprintf(stderr, "(XEN) [cpu%u] PANIC: %s\n", this_cpu, panic_msg);
	abort();
}

void host_expect_panic(jmp_buf *jb)
{
	panic_msg[0] = '\0';
	panic_hook = jb;
}

const char *host_panic_message(void)
{
	return panic_msg;
}

/* Present entries with distinct frames, two empty slots and one user bit. */
const uint64_t host_l4_template[L4_HYP_SLOTS] = {
	0x1000 | PTE_P | PTE_US,
	0x2000 | PTE_P,
	0,
	0,
	0x5000 | PTE_P,
	0x6000 | PTE_P,
	0x7000 | PTE_P,
	0x8000 | PTE_P,
	0x9000 | PTE_P,
	0xa000 | PTE_P,
	0xb000 | PTE_P,
	0xc000 | PTE_P,
	0xd000 | PTE_P,
	0xe000 | PTE_P,
	0xf000 | PTE_P,
	0x10000 | PTE_P,
};

/*
 * Direct guest access. A host process has no MMU walking the arena's
 * tables, so by default no root is ever live and mm/guest_access.c takes
 * its software walk. host_set_direct_access(true) makes the roots that
 * arch_load_root() loaded live and copies through a model of what the
 * x86 CPU does for the hypervisor: P at every level, RW at every level
 * for a write (CR0.WP), PS at L3 and L2 a leaf, US ignored (a supervisor
 * access with SMAP opened), no references taken, a frame beyond the
 * arena a fault; the copy stops at the first byte it cannot reach.
 */
void host_set_direct_access(bool on)
{
	__atomic_store_n(&direct_access, on, __ATOMIC_RELAXED);
}

bool arch_root_live(mfn_t root)
{
	return __atomic_load_n(&direct_access, __ATOMIC_RELAXED) &&
	       !mfn_eq(root, INVALID_MFN) &&
	       mfn_eq(loaded_root[this_cpu], root);
}

/* The host address of va in the loaded tables, NULL where the CPU faults. */
static char *mmu_translate(uint64_t va, bool write)
{
	mfn_t m = loaded_root[this_cpu];
	unsigned int level, shift = 0;
	uint64_t e = 0;

	for (level = 4; level >= 1; level--) {
		if (!mfn_valid(m)) {
			return NULL;
		}
		shift = PAGE_SHIFT + 9 * (level - 1);
		e = ((const uint64_t *)arch_mfn_to_virt(
			m))[(va >> shift) & 511];
		if (!(e & PTE_P) || (write && !(e & PTE_RW))) {
			return NULL;
		}
		m = pte_mfn(e);
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			break;
		}
	}
	m = mfn(mfn_x(m) & ~((1ULL << (shift - PAGE_SHIFT)) - 1));
	m = mfn_add(m, (va & ((1ULL << shift) - 1)) >> PAGE_SHIFT);
	if (!mfn_valid(m)) {
		return NULL;
	}
	return (char *)arch_mfn_to_virt(m) + (va & (PAGE_SIZE - 1));
}

static bool guest_part(uint64_t va, size_t n)
{
	uint64_t last = va + n - 1;

	return last >= va && (last < (1ULL << 47) || va >= HYPERVISOR_VIRT_END);
}

static size_t mmu_copy(uint64_t va, char *buf, size_t n, bool write)
{
	if (n == 0) {
		return 0;
	}
	if (!guest_part(va, n)) {
		return n;
	}
	while (n > 0) {
		size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		char *p = mmu_translate(va, write);

		if (p == NULL) {
			return n;
		}
		if (write) {
			memcpy(p, buf, chunk);
		} else {
			memcpy(buf, p, chunk);
		}
		va += chunk;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

size_t arch_copy_from_live(void *dst, uint64_t va, size_t n)
{
	return mmu_copy(va, dst, n, false);
}

size_t arch_copy_to_live(uint64_t va, const void *src, size_t n)
{
	return mmu_copy(va, (char *)(uintptr_t)src, n, true);
}
