/* SPDX-License-Identifier: MIT */
/* Thin wrappers over x86 instructions, registers and MSRs. */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include <xeno/types.h>

#define CR0_WP	       (1UL << 16)
#define CR4_PAE	       (1UL << 5)
#define CR4_PGE	       (1UL << 7)
#define CR4_OSFXSR     (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define CR4_FSGSBASE   (1UL << 16)
#define CR4_PCIDE      (1UL << 17)
#define CR4_OSXSAVE    (1UL << 18)
#define CR4_SMEP       (1UL << 20)
#define CR4_SMAP       (1UL << 21)

#define MSR_APIC_BASE	   0x0000001b
#define MSR_TSC_DEADLINE   0x000006e0
#define MSR_EFER	   0xc0000080
#define MSR_PAT		   0x00000277
#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_CSTAR	   0xc0000083
#define MSR_FMASK	   0xc0000084
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_SYSENTER_CS	   0x00000174
#define EFER_SCE	   (1UL << 0)
#define EFER_NXE	   (1UL << 11)

#define RFLAGS_TF   (1UL << 8)
#define RFLAGS_IF   (1UL << 9)
#define RFLAGS_DF   (1UL << 10)
#define RFLAGS_IOPL (3UL << 12)
#define RFLAGS_NT   (1UL << 14)
#define RFLAGS_RF   (1UL << 16)
#define RFLAGS_VM   (1UL << 17)
#define RFLAGS_AC   (1UL << 18)
#define CR0_TS	    (1UL << 3)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a,
			       uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n)                                                       \
	static inline unsigned long read_cr##n(void)                       \
	{                                                                  \
		unsigned long v;                                           \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_cr##n(unsigned long v)                    \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline unsigned long read_rflags(void)
{
	unsigned long f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

/* Waits for an interrupt with interrupts enabled only across the HLT. */
static inline void safe_halt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static inline void *read_rbp(void)
{
	void *p;

	__asm__ volatile("mov %%rbp, %0" : "=r"(p));
	return p;
}

/* The CPU features Xeno detects (cpu.c), printed in the banner. */
struct cpu_features {
	bool pcid, invpcid, pge, page1g, xsave, smep, smap, nx;
	bool tsc_deadline, x2apic, invariant_tsc, fsgsbase;
	/* Xeno tags address spaces with PCIDs: pcid and pge, pcid=on. */
	bool use_pcid;
	char vendor[13];
	char model[49];
};
extern struct cpu_features cpu_has;

void cpu_features_detect(void);
void cpu_features_enable(void);
void cpu_features_describe(char *buf, size_t size);

#endif
