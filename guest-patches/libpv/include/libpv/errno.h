/* SPDX-License-Identifier: MIT */
/*
 * Error numbers as a guest sees them (pv-abi §10): a hypercall returns 0,
 * a count, or one of these negated. The values are x86 Linux's, as in
 * Xeno's own xen/include/xeno/errno.h; guests cannot include that one.
 */
#ifndef LIBPV_ERRNO_H
#define LIBPV_ERRNO_H

#define EPERM	   1
#define ENOENT	   2
#define ESRCH	   3
#define EINTR	   4
#define EIO	   5
#define ENXIO	   6
#define E2BIG	   7
#define EAGAIN	   11
#define ENOMEM	   12
#define EACCES	   13
#define EFAULT	   14
#define EBUSY	   16
#define EEXIST	   17
#define ENODEV	   19
#define EINVAL	   22
#define ENOSPC	   28
#define EDOM	   33
#define ERANGE	   34
#define ENOSYS	   38
#define ENODATA	   61
#define ETIME	   62
#define EOVERFLOW  75
#define EOPNOTSUPP 95
#define ETIMEDOUT  110

/*
 * The name of an error number, positive or negated ("EINVAL"), or "?"
 * for values this table does not know. Never NULL.
 */
const char *pv_errname(long err);

#endif
