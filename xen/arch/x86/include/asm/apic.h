/* SPDX-License-Identifier: MIT */
/* The local APIC (xAPIC, memory-mapped) and inter-processor interrupts. */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <xeno/types.h>

/* Physical base of the local APIC (from ACPI's MADT or the MSR). */
extern uint64_t lapic_phys;

/* Remaps and masks the legacy 8259 PICs (boot CPU, once). */
void pic_disable(void);

void apic_init_cpu(void);
uint32_t apic_id(void);
void apic_eoi(void);

/* Sends a fixed-vector IPI to the CPU with the given APIC id. */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);

/* INIT then two STARTUPs at the page TRAMPOLINE_PHYS (SDM "MP init"). */
void apic_start_ap(uint32_t apic_id, uint64_t trampoline_phys);

/* One-shot timer: an interrupt on VEC_TIMER at the TSC value given. */
void apic_timer_set_deadline(uint64_t tsc);
void apic_timer_calibrate(void);

/* Whether the timer uses TSC-deadline mode (else one-shot count). */
extern bool apic_tsc_deadline;

#endif
