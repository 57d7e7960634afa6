/* SPDX-License-Identifier: MIT */
/*
 * Domains and vCPUs (xen/common/domain.c). A domain owns memory (its
 * struct mm_domain), vCPUs, a shared_info page, event channels and a
 * console line buffer; it is built from a boot module (domain_build.c)
 * and destroyed when it shuts down.
 *
 * Life cycle: domain_create() -> built (domain_build) -> domain_start()
 * -> running (domain_pause/domain_resume hold it off the CPUs and let it
 * go again) -> domain_shutdown() (the guest asked, crashed, or dom0
 * destroys it) -> every vCPU leaves its CPU -> destroyed: every frame
 * returns to the free pool (scrubbed before reuse) and the structures
 * are freed, by domain_reap() on whichever CPU notices first, or by
 * domain_destroy() for the control domain. A domain is never freed while
 * a CPU may still run one of its vCPUs or a hypercall may still hold it
 * (domain_find/domain_put). Debug builds check the invariants after
 * every destruction.
 *
 * Locks: domains_lock (LOCK_RANK_DOMAIN) protects the list of domains;
 * d->lock (same rank, never held with domains_lock) protects the
 * domain's state. Scheduler locks (LOCK_RANK_SCHED) may be taken inside.
 */
#ifndef XENO_DOMAIN_H
#define XENO_DOMAIN_H

#include <asm/vcpu.h>
#include <public/pv_ops.h>
#include <public/xen.h>
#include <xeno/list.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/spinlock.h>
#include <xeno/timer.h>
#include <xeno/types.h>

#define MAX_VCPUS	64
#define DOMAIN_NAME_LEN 32

/* Where a vCPU is (runstate, vcpu_runstate_info). */
enum vcpu_state {
	VCPU_OFFLINE,  /* not initialised or down */
	VCPU_RUNNABLE, /* on a run queue */
	VCPU_RUNNING,  /* on a CPU */
	VCPU_BLOCKED,  /* waiting for an event (block, poll) */
	VCPU_DEAD,     /* its domain shut down */
	VCPU_PAUSED,   /* would run, but its domain is paused */
};

struct evtchn; /* event_channel.c */

/* vcpu.alive of an allocated vCPU (checked by the scheduler's asserts). */
#define VCPU_ALIVE 0x76637075u

struct vcpu {
	struct mm_vcpu mm; /* page-table roots, last MMU refusal */
	struct domain *domain;
	unsigned int id;

	/* Scheduler (sched.c), under the run queue lock of cpu. */
	enum vcpu_state state;
	unsigned int cpu;	/* run queue it is on / CPU it runs on */
	struct list_head runq;	/* link in the run queue */
	uint64_t vtime;		/* weighted virtual run time, ns */
	uint64_t run_start;	/* when it last went on a CPU */
	uint64_t runtime_ns;	/* CPU time used, for accounting */
	uint64_t stolen_ns;	/* RUNNING time its CPU was stalled: not
				   charged, reported as RUNSTATE_runnable */
	uint64_t cpu_time_seen; /* the most sched_vcpu_times reported */
	uint64_t running_seen;	/* the most RUNSTATE_running time reported */
	uint64_t state_time[4]; /* ns in each RUNSTATE_* */
	uint64_t state_entry;	/* when the current state began */
	bool pause;		/* held off the CPUs (domain paused) */
	bool on_cpu;		/* its state is in a CPU's guest frame */
	bool moving;		/* off every list, held by a picking CPU */
	uint32_t alive;		/* VCPU_ALIVE from creation until freed */
	bool (*block_check)(struct vcpu *); /* pending SCHEDOP_block */
	uint64_t
		runstate_gva; /* VCPUOP_register_runstate_memory_area, 0 = none:
				  rewritten whenever v goes onto or off a CPU */
	/*
	 * VCPUOP_register_runstate_phys_area, in the direct map, or NULL;
	 * its frame holds a general and a writable type reference (vcpu_op.c).
	 * Changed and written only under v's run-queue lock (sched.c).
	 */
	struct vcpu_runstate_info *runstate_phys;

	/*
	 * Second copies of the vcpu_time_info, written whenever v's own is
	 * (vtime.c): VCPUOP_register_vcpu_time_memory_area (guest address,
	 * 0 = none, through v's kernel tables, with its own version count)
	 * and VCPUOP_register_vcpu_time_phys_area (in the direct map, or
	 * NULL; its frame holds a general and a writable type reference,
	 * vcpu_op.c). time_phys is changed and written only under time_lock.
	 */
	uint64_t time_gva;
	uint32_t time_gva_version;
	struct vcpu_time_info *time_phys;
	spinlock_t time_lock;

	/* Events and time (event_channel.c, vtime.c). */
	struct vcpu_info *vcpu_info;  /* in shared_info, or registered */
	struct timer sshot_timer;     /* set_timer_op / singleshot */
	struct timer periodic_timer;  /* VCPUOP_set_periodic_timer */
	uint64_t periodic_ns;	      /* period, 0 = off */
	struct timer poll_timer;      /* SCHEDOP_poll timeout */
	uint32_t virq_port[NR_VIRQS]; /* per-vCPU VIRQ bindings, 0 = none */
	const uint32_t *poll_ports;   /* SCHEDOP_poll in progress */
	unsigned int poll_nr;
	uint64_t poll_deadline;

	bool kernel_mode_entered; /* a bounce happened at least once */
	struct arch_vcpu arch;
};

/*
 * The shutdown reason of a domain destroyed by the control domain
 * (printed "destroyed"); not a SHUTDOWN_* value guests can pass.
 */
#define SHUTDOWN_XENO_DESTROYED 255

enum domain_state {
	DOMAIN_RUNNING,
	DOMAIN_SHUTDOWN, /* asked to stop, vCPUs leaving the CPUs */
	DOMAIN_DEAD,	 /* destroyed, waiting for the last domain_put */
};

struct domain {
	struct mm_domain mm; /* memory: must stay first */
	domid_t domid;
	char name[DOMAIN_NAME_LEN];
	bool privileged;      /* the control domain (dom0) */
	unsigned int weight;  /* scheduler share, default 256 */
	uint64_t cache_pages; /* buffer-cache quota (cache=) */

	spinlock_t lock;
	enum domain_state state;
	bool paused;		      /* by XENO_DOMCTL_pause */
	bool destroying;	      /* domain_destroy() has it */
	bool held;		      /* shut down with SHUTDOWN_soft_reset:
					 kept, memory and all, for the control
					 domain to destroy (not reaped while
					 one runs) */
	unsigned int shutdown_reason; /* SHUTDOWN_*, valid when not RUNNING */
	int shutdown_code;	      /* SCHEDOP_shutdown_code's SHUTDOWN_*,
					 reported in place of the reason of
					 the shutdown that follows; -1: none */
	unsigned int refs;	      /* domain_find references + 1 */

	unsigned int nr_vcpus;
	struct vcpu *vcpu[MAX_VCPUS];

	struct shared_info *shared_info;
	struct page_info *shared_info_pg;

	/* Event channels (event_channel.c). */
	struct evtchn *evtchn; /* EVTCHN_2L_NR_PORTS entries */
	spinlock_t evtchn_lock;
	uint32_t virq_global_port[NR_VIRQS];

	/* Console: output is buffered up to a newline and prefixed. */
	char con_buf[256];
	unsigned int con_len;

	/* The kernel image (for guest symbols in fault reports). */
	const void *image;
	size_t image_size;

	struct list_head link; /* in the list of domains */
	uint64_t created_ns;
};

static inline struct domain *domain_of_mm(struct mm_domain *m)
{
	return container_of(m, struct domain, mm);
}

static inline struct vcpu *vcpu_of_mm(struct mm_vcpu *v)
{
	return container_of(v, struct vcpu, mm);
}

/* The vCPU running on this CPU, or NULL in the idle context. */
struct vcpu *current_vcpu(void);

/*
 * Creates a paused domain with nr_vcpus vCPUs (offline) and the memory
 * limit, its shared_info page and event channels. Returns it, or NULL
 * with *why set.
 */
struct domain *domain_create(domid_t id, const char *name, uint64_t max_pages,
			     unsigned int nr_vcpus, bool privileged,
			     const char **why);

/* Starts a domain just built: vCPU 0 becomes runnable. */
void domain_start(struct domain *d);

/*
 * Pause and resume for domain control: pausing takes every vCPU off the
 * CPUs and returns once none runs; resuming lets them run again. Both
 * return 0, or -EINVAL if d has shut down. Pauses do not nest.
 */
int domain_pause(struct domain *d);
int domain_resume(struct domain *d);

/*
 * Destroys d now (domain control): shuts it down if it still runs,
 * waits until no CPU runs it and no one but the caller holds it, and
 * frees it. The caller's reference is consumed; d must not be the
 * caller's own domain. Returns 0, or -ESRCH if another caller is
 * destroying d already.
 */
int domain_destroy(struct domain *d);

/* The lowest domain id not in use (DOMID_FIRST_RESERVED if none). */
domid_t domain_free_id(void);

/* Invariant checks run after destructions, and how many failed. */
unsigned int domain_audits(void);
unsigned int domain_audit_failures(void);

/*
 * The guest asked to stop (or crashed): records the reason, takes every
 * vCPU off the CPUs, and destroys d once none runs it any more. Safe to
 * call more than once (the first reason stays).
 */
void domain_shutdown(struct domain *d, unsigned int reason);

/* Crashes the current domain after printing why (guest misbehaviour). */
__noreturn void domain_crash_current(const char *why);

/*
 * A reference to the domain with this id that is not dead, or NULL;
 * drop it with domain_put(). DOMID_SELF is not resolved here.
 */
struct domain *domain_find(domid_t id);
void domain_put(struct domain *d);

/* As domain_find, but also finds a domain shut down, not yet destroyed. */
struct domain *domain_find_any(domid_t id);

/*
 * Whether the domain with this id is being freed right now (no longer
 * found, its frames not all returned yet).
 */
bool domain_dying(domid_t id);

/* Console output of a guest: lines appear as "(dN) text". */
void domain_console_write(struct domain *d, const char *s, size_t n);

/* Domains alive (not destroyed); domains that shut down crashing. */
unsigned int domains_alive(void);
unsigned int domains_crashed(void);

/* The arch's reaction when the last domain is destroyed (setup.c). */
void domains_all_gone(void);

/* Builds the boot modules' domains and starts them; how many. */
unsigned int dom0less_build(void);

/*
 * The image of boot module index (kept in memory for domain control).
 * Returns 0, or -1 if there is no such module.
 */
int dom0less_image(unsigned int index, const void **image, size_t *size);
unsigned int dom0less_nr_images(void);

/*
 * Destroys every shut-down domain that no CPU runs and no hypercall
 * holds any more (called whenever a CPU leaves a vCPU, and when idle).
 */
void domain_reap(void);

#endif
