/* SPDX-License-Identifier: MIT */
/*
 * Names of the error numbers of libpv/errno.h, for messages.
 */
#include <stddef.h>

#include <libpv/errno.h>

static const struct {
	long num;
	const char *name;
} names[] = {
	{ EPERM, "EPERM" },
	{ ENOENT, "ENOENT" },
	{ ESRCH, "ESRCH" },
	{ EINTR, "EINTR" },
	{ EIO, "EIO" },
	{ ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" },
	{ EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },
	{ EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" },
	{ EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" },
	{ EDOM, "EDOM" },
	{ ERANGE, "ERANGE" },
	{ ENOSYS, "ENOSYS" },
	{ ENODATA, "ENODATA" },
	{ ETIME, "ETIME" },
	{ EOVERFLOW, "EOVERFLOW" },
	{ EOPNOTSUPP, "EOPNOTSUPP" },
	{ ETIMEDOUT, "ETIMEDOUT" },
};

const char *pv_errname(long err)
{
	if (err == 0) {
		return "OK";
	}
	if (err < 0) {
		err = -err;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].num == err) {
			return names[i].name;
		}
	}
	return "?";
}
