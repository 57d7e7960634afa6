/* SPDX-License-Identifier: MIT */
/*
 * Error numbers (docs/pv-abi.md §10). Hypercalls and the internal
 * functions behind them return 0 or one of these negated. The values are
 * x86 Linux's, which is what Xen's PV ABI uses; only the ones Xeno returns
 * are listed. EAGAIN from an internal function means "preempted: the work
 * so far is saved, call again" and becomes a hypercall continuation; the
 * guest never sees it from the MMU operations.
 */
#ifndef XENO_ERRNO_H
#define XENO_ERRNO_H

#define EPERM	   1  /* not permitted (privilege, foreign domain, MMIO) */
#define ENOENT	   2  /* no such entry */
#define ESRCH	   3  /* no such domain */
#define ENXIO	   6  /* no such device or address */
#define E2BIG	   7  /* argument too big */
#define EAGAIN	   11 /* preempted: call again (continuation) */
#define ENOMEM	   12 /* out of memory, or over the domain's limit */
#define EACCES	   13 /* permission denied */
#define EFAULT	   14 /* bad guest address */
#define EBUSY	   16 /* resource busy (page-type conflict on mapping) */
#define EEXIST	   17 /* already exists */
#define ENODEV	   19 /* no such device (debug register number) */
#define EINVAL	   22 /* invalid argument (the usual MMU error) */
#define ENOSPC	   28 /* no space left */
#define ENOSYS	   38 /* no such hypercall or operation */
#define EOVERFLOW  75 /* value too large */
#define EOPNOTSUPP 95 /* operation not supported */

/*
 * Internal only, never returned to a guest: the hypercall stopped at a
 * preemption point after rewriting its arguments (struct hcall_args);
 * the dispatcher rewinds the guest to the SYSCALL so it runs again.
 */
#define ERESTART 85

#endif
