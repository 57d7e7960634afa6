/* SPDX-License-Identifier: MIT */
/*
 * Everything a test guest needs from libpv, in one include. See
 * docs/libpv.md for how a guest is written and built.
 */
#ifndef LIBPV_H
#define LIBPV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/xen.h>

#include <libpv/abi.h>
#include <libpv/atomic.h>
#include <libpv/console.h>
#include <libpv/domctl.h>
#include <libpv/errno.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/mm.h>
#include <libpv/smp.h>
#include <libpv/start.h>
#include <libpv/string.h>
#include <libpv/test.h>
#include <libpv/time.h>
#include <libpv/traps.h>

#endif
