/* SPDX-License-Identifier: MIT */
/*
 * The machine-to-physical table (mm/m2p.c, pv-abi §8.5): one 8-byte
 * entry per machine frame, the PFN that frame has in its owner's
 * pseudo-physical space, M2P_INVALID where there is none.
 *
 * Interface rules:
 *  - Boot calls m2p_init() once, after the frame allocator has all of
 *    RAM: the table covers every frame of the frame table and lives in
 *    contiguous frames from frame_alloc, which the arch maps read-only
 *    (and user-readable) into every guest's L4 slot 256 by asking
 *    m2p_table_frame() for them.
 *  - Entries are M2P_INVALID for every frame no domain owns. A frame
 *    gets M2P_INVALID again when it is assigned to a domain and when it
 *    is freed; the domain builder and populate_physmap, which know the
 *    PFN, set it with m2p_set(), and the guest with MMU_MACHPHYS_UPDATE.
 *  - Reads and writes of one entry are atomic; nothing orders them with
 *    anything else (a guest racing its own updates sees one or the
 *    other).
 *
 * Locks: none.
 */
#ifndef XENO_M2P_H
#define XENO_M2P_H

#include <xeno/types.h>

#define M2P_INVALID (~0ULL)

/*
 * Allocates and fills the table for frames [0, nr_frames). Returns 0, or
 * -ENOMEM (no contiguous block large enough; the machine cannot run
 * PV guests).
 */
int m2p_init(uint64_t nr_frames);

/* Forgets the table without freeing it (host tests: a new machine). */
void m2p_reset(void);

/* The entry of frame m; M2P_INVALID beyond the table (or without one). */
uint64_t m2p_get(mfn_t m);

/* Sets the entry of frame m; returns false (nothing set) beyond it. */
bool m2p_set(mfn_t m, uint64_t pfn);

/* Frames covered, and the frames holding the table (for the arch). */
uint64_t m2p_nr_entries(void);
uint64_t m2p_nr_table_frames(void);
mfn_t m2p_table_frame(uint64_t i); /* INVALID_MFN beyond the table */

#endif
