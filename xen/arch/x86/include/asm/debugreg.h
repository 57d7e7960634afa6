/* SPDX-License-Identifier: MIT */
/*
 * Guest debug registers (pv/debugreg.c, pv-abi §7.7, §8.12): the rules
 * for DR0-DR7, their loading into the CPU while a vCPU that uses them
 * runs, and #DB. The accessors of the real registers are here too.
 */
#ifndef ASM_DEBUGREG_H
#define ASM_DEBUGREG_H

#include <asm/traps.h>
#include <xeno/types.h>

struct vcpu;

#define VEC_DB 1

/* DR6: status bits and the value with none of them set. */
#define DR6_B(i)    (1ULL << (i)) /* breakpoint i matched */
#define DR6_BD	    (1ULL << 13)  /* debug-register access (GD) */
#define DR6_BS	    (1ULL << 14)  /* single step */
#define DR6_BT	    (1ULL << 15)  /* task switch */
#define DR6_STATUS  (0xfULL | DR6_BD | DR6_BS | DR6_BT)
#define DR6_DEFAULT 0xffff0ff0ULL

/* DR7: enables, GD, the type (R/W) and length fields. */
#define DR7_DEFAULT    0x400ULL
#define DR7_ENABLES    0xffULL /* L0 G0 ... L3 G3 */
#define DR7_LE_GE      0x300ULL
#define DR7_GD	       (1ULL << 13)
#define DR7_FIELDS     0xffff0000ULL /* R/W and LEN of breakpoints 0-3 */
#define DR7_RW(dr7, i) (((dr7) >> (16 + 4 * (i))) & 3)
#define DR_RW_EXEC     0
#define DR_RW_WRITE    1
#define DR_RW_IO       2
#define DR_RW_RW       3

#define CR4_DE (1UL << 3) /* debugging extensions (I/O breakpoints) */

/*
 * Decodes a write of val to debug register reg by a vCPU whose virtual
 * CR4 is cr4 (§7.7), changing nothing: on success *slot is the register
 * it lands in (4 and 5 alias 6 and 7 unless CR4.DE is set) and *out the
 * value to keep (DR6 and DR7 normalised). Returns 0; -EPERM for DR0-3
 * outside the guest's addresses, DR7.GD, or an I/O breakpoint without
 * CR4.DE; -EINVAL for DR6/DR7 with upper bits set; -ENODEV for DR4/DR5
 * with CR4.DE and any register above 7.
 */
int pv_debugreg_check(uint64_t reg, uint64_t val, uint64_t cr4,
		      unsigned int *slot, uint64_t *out);

/* Whether v's DR7 arms an I/O breakpoint (a CR4.DE clear must fail). */
bool pv_debugreg_has_io(const struct vcpu *v);

/*
 * MOV DRn and set/get_debugreg for v (its own, running now): set checks
 * as above, keeps the value and, for DR0-3 and DR7, puts it into the CPU
 * at once. get returns 0 with *val, or -ENODEV.
 */
int pv_debugreg_set(struct vcpu *v, uint64_t reg, uint64_t val);
int pv_debugreg_get(const struct vcpu *v, uint64_t reg, uint64_t *val);

/*
 * Makes this CPU's DR0-3 and DR7 those of next (NULL: the CPU goes
 * idle), writing only the registers that differ (context switch).
 */
void pv_debugreg_switch(struct vcpu *next);

/* Puts this CPU's debug registers in their rest state (CPU start-up). */
void pv_debugreg_cpu_init(void);

/*
 * #DB from anywhere (do_trap): folds the CPU's DR6 into the vCPU's and
 * bounces #DB to the guest, or, for a #DB taken in the hypervisor, only
 * folds. Runs on the #DB IST stack for a hypervisor-mode #DB (entry.S).
 */
void pv_debug_trap(struct cpu_regs *f);

/*
 * The hypervisor wrote n bytes of v's memory at gva (a bounce frame)
 * through its direct map, which the CPU's breakpoints cannot see: sets
 * the DR6 B bit of each enabled write watchpoint of v that they overlap.
 */
void pv_debugreg_hv_write(struct vcpu *v, uint64_t gva, uint64_t n);

/* #DBs taken in hypervisor mode on this CPU and the last one's DR6. */
uint64_t pv_debugreg_ring0_count(void);
uint64_t pv_debugreg_ring0_last_dr6(void);

/* Prints v's debug-register counts at loglvl=3 if any is non-zero. */
void pv_debugreg_report(const struct vcpu *v);

/* The real registers. */
#define DR_ACCESSORS(n)                                                    \
	static inline uint64_t read_dr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_dr##n(uint64_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%db" #n : : "r"(v) : "memory"); \
	}
DR_ACCESSORS(0)
DR_ACCESSORS(1)
DR_ACCESSORS(2)
DR_ACCESSORS(3)
DR_ACCESSORS(6)
DR_ACCESSORS(7)
#undef DR_ACCESSORS

#endif
