/*
 * arch/cc.h - lwIP's compiler and platform glue for the host build.
 */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <endian.h>
#include <limits.h>      /* SSIZE_MAX: lwIP then takes ssize_t from the host */
#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>     /* struct timeval: LWIP_TIMEVAL_PRIVATE is 0 */

#ifndef BYTE_ORDER           /* glibc's endian.h defines it with _GNU_SOURCE */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define BYTE_ORDER LITTLE_ENDIAN
#else
#define BYTE_ORDER BIG_ENDIAN
#endif
#endif

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { \
        fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", \
                x, __FILE__, __LINE__); \
        fflush(NULL); abort(); } while (0)

/* TCP initial sequence numbers and DHCP transaction ids. */
unsigned int sys_random32(void);
#define LWIP_RAND() ((u32_t)sys_random32())

#endif
