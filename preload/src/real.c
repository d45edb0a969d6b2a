/* SPDX-License-Identifier: MIT */
/*
 * real.c - lazy dlsym(RTLD_NEXT) resolution. A function may be needed before our
 * constructor ran (another library's constructor writing to stderr), so each pointer
 * is resolved on its first use. A racing second resolution stores the same value.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "saio_int.h"

#define SAIO_REAL_DEF(ret, name, args) \
	saio_real_##name##_t saio_real_##name; \
	saio_real_##name##_t saio_resolve_##name(void) \
	{ \
		saio_real_##name##_t p = (saio_real_##name##_t)dlsym(RTLD_NEXT, #name); \
		if (!p) { \
			static const char m[] = "saio: cannot resolve " #name "\n"; \
			(void)!syscall(1, 2, m, sizeof(m) - 1); \
			abort(); \
		} \
		__atomic_store_n(&saio_real_##name, p, __ATOMIC_RELEASE); \
		return p; \
	}
SAIO_REAL_LIST(SAIO_REAL_DEF)
#undef SAIO_REAL_DEF

/* All at once (a missing one stays NULL: resolved, or refused, on first use). */
void saio_real_resolve_all(void)
{
#define SAIO_REAL_RESOLVE(ret, name, args) \
	if (!saio_real_##name) \
		__atomic_store_n(&saio_real_##name, \
				 (saio_real_##name##_t)dlsym(RTLD_NEXT, #name), __ATOMIC_RELEASE);
	SAIO_REAL_LIST(SAIO_REAL_RESOLVE)
#undef SAIO_REAL_RESOLVE
}
