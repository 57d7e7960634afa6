/* SPDX-License-Identifier: MIT */
#ifndef XENO_VERSION_H
#define XENO_VERSION_H

#define XENO_VERSION "0.1.0"
#ifdef NDEBUG
#define XENO_BUILD_KIND "release"
#else
#define XENO_BUILD_KIND "debug"
#endif

#endif
