/* SPDX-License-Identifier: MIT */
/*
 * ACPI, only as far as finding the CPUs: RSDP (from the loader or the
 * BIOS areas) -> XSDT or RSDT -> MADT, whose local-APIC entries list the
 * CPUs. Every table's checksum and length are checked before use; a
 * machine without a usable MADT runs on the boot CPU alone, with a warning.
 */
#include <asm/apic.h>
#include <asm/boot.h>
#include <asm/mm.h>
#include <xeno/arch.h>
#include <xeno/bootinfo.h>
#include <xeno/lib.h>

#define MADT_LAPIC	    0
#define MADT_LAPIC_OVERRIDE 5
#define MAX_TABLE_BYTES	    (1u << 20)
#define MAX_TABLE_PHYS	    (4ULL << 30)

struct acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __packed;
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");

uint32_t acpi_cpu_apic_ids[NR_CPUS];
unsigned int acpi_nr_cpus;

static bool checksum_ok(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--) {
		sum = (uint8_t)(sum + *b++);
	}
	return sum == 0;
}

static const uint8_t *rsdp_scan(uint64_t start, uint64_t len)
{
	uint64_t a;

	for (a = start; a + 20 <= start + len; a += 16) {
		const uint8_t *p = phys_to_virt(a);

		if (!memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20)) {
			return p;
		}
	}
	return NULL;
}

static const uint8_t *rsdp_find(void)
{
	uint64_t ebda;

	if (boot_info.has_rsdp && !memcmp(boot_info.rsdp, "RSD PTR ", 8)) {
		return boot_info.rsdp;
	}
	ebda = (uint64_t) * (const uint16_t *)phys_to_virt(0x40e) << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000) {
		const uint8_t *p = rsdp_scan(ebda, 1024);

		if (p) {
			return p;
		}
	}
	return rsdp_scan(0xe0000, 0x20000);
}

/* A checked table at phys, or NULL (with a warning) if it is broken. */
static const struct acpi_header *table_at(uint64_t phys)
{
	const struct acpi_header *h;

	if (!phys || phys + sizeof(*h) > MAX_TABLE_PHYS) {
		return NULL;
	}
	h = phys_to_virt(phys);
	if (h->length < sizeof(*h) || h->length > MAX_TABLE_BYTES ||
	    phys + h->length > MAX_TABLE_PHYS || !checksum_ok(h, h->length)) {
		printk(LOG_WARN, "acpi: table at %#lx is malformed; ignored\n",
		       phys);
		return NULL;
	}
	return h;
}

static const struct acpi_header *find_madt(const uint8_t *rsdp)
{
	const struct acpi_header *root;
	uint64_t xsdt = 0;
	unsigned int i, n, esize;

	if (rsdp[15] >= 2 && checksum_ok(rsdp, 36)) {
		xsdt = *(const uint64_t *)(rsdp + 24);
	}
	root = table_at(xsdt ? xsdt : *(const uint32_t *)(rsdp + 16));
	if (!root) {
		return NULL;
	}
	esize = xsdt ? 8 : 4;
	n = (root->length - sizeof(*root)) / esize;
	for (i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)(root + 1) + i * esize;
		uint64_t phys = esize == 8 ? *(const uint64_t *)e
					   : *(const uint32_t *)e;
		const struct acpi_header *t = table_at(phys);

		if (t && !memcmp(t->sig, "APIC", 4)) {
			return t;
		}
	}
	return NULL;
}

static void madt_parse(const struct acpi_header *madt)
{
	const uint8_t *p = (const uint8_t *)madt + 44;
	const uint8_t *end = (const uint8_t *)madt + madt->length;

	lapic_phys = *(const uint32_t *)((const uint8_t *)madt + 36);
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		if (p[0] == MADT_LAPIC && p[1] >= 8) {
			uint32_t flags = *(const uint32_t *)(p + 4);

			if (!(flags & 1)) {
				/* Disabled: not a CPU we can start. */
			} else if (acpi_nr_cpus == NR_CPUS) {
				printk(LOG_WARN,
				       "acpi: more than %d CPUs; "
				       "the rest stay off\n",
				       NR_CPUS);
			} else {
				acpi_cpu_apic_ids[acpi_nr_cpus++] = p[3];
			}
		} else if (p[0] == MADT_LAPIC_OVERRIDE && p[1] >= 12) {
			lapic_phys = *(const uint64_t *)(p + 4);
		}
		p += p[1];
	}
}

void acpi_init(void)
{
	const uint8_t *rsdp = rsdp_find();
	const struct acpi_header *madt = rsdp ? find_madt(rsdp) : NULL;

	if (!madt) {
		printk(LOG_WARN, "acpi: no usable MADT; running on the boot "
				 "CPU only\n");
		acpi_nr_cpus = 0;
		return;
	}
	madt_parse(madt);
	printk(LOG_DEBUG, "acpi: MADT lists %u CPUs, local APIC at %#lx\n",
	       acpi_nr_cpus, lapic_phys);
}
