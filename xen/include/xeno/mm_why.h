/* SPDX-License-Identifier: MIT */
/*
 * "Say why" for the MMU hypercalls (mm/mm_why.c, DESIGN §1.4): every
 * refusal records which check failed, on which element, with which value
 * and frame, in the current vCPU's last-refusal record (read back with
 * xeno_mm_op XENO_MM_last_refusal, public/xeno.h) and prints it on the
 * console at the debug level (loglvl=3).
 *
 * Interface rules:
 *  - A hypercall calls mm_why_begin() before each element it processes;
 *    the checks deep inside (pte.c, ptype.c) call mm_why_note() where
 *    they refuse. The first note of an element wins: it is the innermost
 *    check, e.g. one L1 entry three levels under the L4 being pinned.
 *    mm_why_where() adds the table and slot of the failing entry, first
 *    one wins as well.
 *  - The hypercall then calls mm_why_fail() with the error it returns;
 *    that completes the record (hypercall, command, index) and stores it.
 *    mm_why_renote() replaces a note when the hypercall layer knows a
 *    better reason than the check it called (e.g. "not updatable" rather
 *    than the type conflict that proved it).
 *  - Preemption (-EAGAIN, -ERESTART) is never a refusal and never noted.
 *
 * Locks: none. The note is per CPU: a hypercall runs on one CPU from
 * begin to fail.
 */
#ifndef XENO_MM_WHY_H
#define XENO_MM_WHY_H

#include <public/xeno.h>
#include <xeno/types.h>

/* A vCPU's last refusal: the record the guest reads back. */
struct mm_why {
	struct xeno_mm_refusal last;
};

/* Starts a new element: forgets this CPU's note. */
void mm_why_begin(void);

/*
 * Notes why a check refused, unless this element has a note already.
 * m is the frame the check was about (INVALID_MFN if none); its state is
 * captured now.
 */
void mm_why_note(enum xeno_why reason, uint64_t value, mfn_t m);

/* Notes why, replacing any earlier note of this element. */
void mm_why_renote(enum xeno_why reason, uint64_t value, mfn_t m);

/* Notes the table and slot of the failing entry (first one wins). */
void mm_why_where(mfn_t table, unsigned int slot);

/*
 * The element failed with err (negative): completes this CPU's note and
 * stores it in the current vCPU's record (if a vCPU is current), logs
 * it at the debug level, and returns err.
 */
int mm_why_fail(int err, unsigned int hypercall, unsigned int cmd,
		unsigned int index);

/* The reason's name ("type conflict", ...), for logs and tests. */
const char *mm_why_name(enum xeno_why reason);

#endif
