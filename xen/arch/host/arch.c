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

#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/pte.h>
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
