/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables and the SYSCALL set-up. One IDT is shared by all
 * CPUs; each CPU has its own GDT (its TSS descriptor differs) and TSS,
 * whose IST entries point to the double-fault, NMI, machine-check and
 * debug stacks in the CPU's stack block so those run on a known-good
 * stack whatever the state of the current one (#DB: entry.S db_entry).
 *
 * The GDT has the geometry of the PV ABI (pv-abi §2.2, §8.2): 8192
 * entries, the first 7168 for the guest's own descriptors (a copy of the
 * current vCPU's set_gdt frames, kept by pv/descriptor.c), then the
 * reserved page with the hypervisor's selectors and the guests' flat
 * ones (layout.h), and the descriptor of the current vCPU's LDT (a copy
 * of its frames, kept by pv/ldt.c).
 */
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/descriptor.h>
#include <asm/layout.h>
#include <asm/percpu.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/lib.h>

struct idt_entry {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t rsvd;
} __packed;

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

#define IDT_INTERRUPT_GATE 0x8e /* present, DPL0, 64-bit interrupt gate */
#define IDT_DPL3	   0x60 /* the gate may be used by INT n at CPL 3 */
#define IST_DF		   1
#define IST_NMI		   2
#define IST_MCE		   3
#define IST_DB		   4

static struct idt_entry idt[256] __aligned(16);
static uint64_t gdts[NR_CPUS][GDT_ENTRIES] __aligned(4096);
static struct tss tsss[NR_CPUS] __aligned(64);

static void set_gate_to(unsigned int vec, const void *entry, uint8_t ist,
			uint8_t dpl)
{
	uint64_t off = (uint64_t)(uintptr_t)entry;

	idt[vec].off_lo = (uint16_t)off;
	idt[vec].sel = HYP_CS;
	idt[vec].ist = ist;
	idt[vec].type = IDT_INTERRUPT_GATE | dpl;
	idt[vec].off_mid = (uint16_t)(off >> 16);
	idt[vec].off_hi = (uint32_t)(off >> 32);
	idt[vec].rsvd = 0;
}

static void set_gate(unsigned int vec, uint8_t ist, uint8_t dpl)
{
	set_gate_to(vec, trap_stubs + vec * TRAP_STUB_SIZE, ist, dpl);
}

void idt_init(void)
{
	extern const char db_entry[];

	unsigned int v;

	for (v = 0; v < 256; v++) {
		set_gate(v, 0, 0);
	}
	set_gate(2, IST_NMI, 0);
	set_gate(8, IST_DF, 0);
	set_gate(18, IST_MCE, 0);
	/*
	 * A guest can make #DB arrive at the first instruction of the
	 * SYSCALL entry, before it has a stack (MOV SS, entry.S db_entry).
	 */
	set_gate_to(1, db_entry, IST_DB, 0);
	/*
	 * INT3, INTO and INT $0x80 reach their handlers from a guest
	 * directly (pv-abi §8.7); every other INT n from CPL 3 faults with
	 * #GP and is emulated against the guest's virtual IDT.
	 */
	set_gate(3, 0, IDT_DPL3);
	set_gate(4, 0, IDT_DPL3);
	set_gate(0x80, 0, IDT_DPL3);
	/* The rules for guest descriptor tables go with ours. */
	pv_desc_init();
}

static void gdt_build(uint64_t *gdt, const struct tss *tss)
{
	uint64_t base = (uint64_t)(uintptr_t)tss;
	uint64_t limit = sizeof(*tss) - 1;

	memset(gdt, 0, GDT_ENTRIES * sizeof(*gdt));
	gdt[HYP_CS >> 3] = 0x00af9a000000ffffULL;     /* 64-bit code, DPL0 */
	gdt[HYP_DS >> 3] = 0x00cf92000000ffffULL;     /* data, DPL0 */
	gdt[GUEST_CS32 >> 3] = 0x00cffa000000ffffULL; /* 32-bit code, DPL3 */
	gdt[GUEST_DS >> 3] = 0x00cff2000000ffffULL;   /* data, DPL3 */
	gdt[GUEST_CS64 >> 3] = 0x00affa000000ffffULL; /* 64-bit code, DPL3 */
	/* 64-bit available TSS: a 16-byte descriptor. */
	gdt[TSS_SEL >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			    (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
			    (((base >> 24) & 0xff) << 56);
	gdt[(TSS_SEL >> 3) + 1] = base >> 32;
}

void desc_load_ldt(const void *base, unsigned int bytes)
{
	uint64_t *gdt = gdts[arch_cpu_id()];
	uint64_t b = (uint64_t)(uintptr_t)base;
	uint64_t limit = bytes - 1;

	if (bytes == 0) {
		__asm__ volatile("lldt %w0" : : "r"(0));
		return;
	}
	/* A present LDT descriptor (system type 2), 16 bytes, byte limit. */
	gdt[LDT_SEL >> 3] = (limit & 0xffff) | ((b & 0xffffff) << 16) |
			    (0x82ULL << 40) | (((limit >> 16) & 0xf) << 48) |
			    (((b >> 24) & 0xff) << 56);
	gdt[(LDT_SEL >> 3) + 1] = b >> 32;
	__asm__ volatile("lldt %w0" : : "r"(LDT_SEL) : "memory");
}

uint64_t *desc_this_gdt(void)
{
	return gdts[arch_cpu_id()];
}

void desc_load_cpu(unsigned int cpu, void *stack_block)
{
	struct tss *tss = &tsss[cpu];
	uint64_t *gdt = gdts[cpu];
	uint64_t blk = (uint64_t)(uintptr_t)stack_block;
	struct desc_ptr gp = { sizeof(gdts[0]) - 1, (uint64_t)(uintptr_t)gdt };
	struct desc_ptr ip = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	memset(tss, 0, sizeof(*tss));
	tss->rsp[0] = blk + STACK_SIZE - CPU_INFO_SIZE;
	tss->ist[IST_DF - 1] = blk + IST_DF_TOP;
	tss->ist[IST_NMI - 1] = blk + IST_NMI_TOP;
	tss->ist[IST_MCE - 1] = blk + IST_MCE_TOP;
	tss->ist[IST_DB - 1] = blk + IST_DB_TOP;
	tss->iomap_base = sizeof(*tss);
	gdt_build(gdt, tss);

	__asm__ volatile("lgdt %0" : : "m"(gp));
	/* Reload CS through a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 :
			 : "i"(HYP_CS), "r"((uint64_t)HYP_DS)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
	__asm__ volatile("lidt %0" : : "m"(ip));
	syscall_init_cpu(blk);
}

/*
 * SYSCALL enters at syscall_entry (from 64-bit code) or syscall32_entry
 * (from compatibility mode) with HYP_CS and interrupts, TF, DF, AC and NT
 * cleared; SYSRET's selector base gives the guest's flat 64-bit
 * selectors. SYSENTER is disabled (a zero SYSENTER_CS makes it #GP).
 * GS: the hypervisor's base (this CPU's cpu_info) is live while no guest
 * runs; MSR_KERNEL_GS_BASE holds the guest's, swapped in at exit.
 */
void syscall_init_cpu(uint64_t stack_block)
{
	struct cpu_info *ci =
		(struct cpu_info *)(stack_block + STACK_SIZE - CPU_INFO_SIZE);
	extern const char syscall_entry[], syscall32_entry[];

	ci->self = (uint64_t)(uintptr_t)ci;
	wrmsr(MSR_STAR,
	      ((uint64_t)GUEST_CS32 << 48) | ((uint64_t)HYP_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_CSTAR, (uint64_t)(uintptr_t)syscall32_entry);
	wrmsr(MSR_FMASK,
	      RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT);
	wrmsr(MSR_SYSENTER_CS, 0);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_GS_BASE, ci->self);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}
