/*
 * arch/sys_arch.h - lwIP's OS types on POSIX threads (host build).
 *
 * Semaphores and mutexes are held by value (a netconn carries its own), so
 * they cost no allocation; a mailbox is a ring allocated at creation, the
 * way an RTOS queue is.
 */
#ifndef LWIP_ARCH_SYS_ARCH_H
#define LWIP_ARCH_SYS_ARCH_H

#include <pthread.h>

typedef struct sys_sem {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned count;
    int valid;
} sys_sem_t;

typedef struct sys_mutex {
    pthread_mutex_t lock;
    pthread_t owner;
    int held;
    int valid;
} sys_mutex_t;

typedef struct sys_mbox_ring *sys_mbox_t;
typedef pthread_t sys_thread_t;
typedef int sys_prot_t;

#define sys_sem_valid(s)        ((s)->valid)
#define sys_sem_set_invalid(s)  ((s)->valid = 0)
#define sys_mutex_valid(m)      ((m)->valid)
#define sys_mutex_set_invalid(m) ((m)->valid = 0)
#define sys_mbox_valid(m)       (*(m) != NULL)
#define sys_mbox_set_invalid(m) (*(m) = NULL)

#endif
