/*
 * sys_arch.c - lwIP's OS layer on POSIX threads (NO_SYS=0, host build).
 *
 * Semaphores are a counter under a mutex and a condition variable, waits
 * use CLOCK_MONOTONIC; mailboxes are fixed rings; the lightweight
 * protection is one recursive mutex; sys_now() is the monotonic clock.
 * Threads start with every signal blocked: the application thread alone
 * takes SIGTERM/SIGINT, as on a board the main task alone sees its button.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

struct sys_mbox_ring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    unsigned head, count, size;
    void *slot[];
};

static pthread_mutex_t sys_prot_lock;
static pthread_t sys_tcpip_thread;
static int sys_tcpip_thread_marked;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

/* Waits on c until woken or timeout_ms passed (0: forever).  Returns 0 or
 * ETIMEDOUT. */
static int cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, u32_t timeout_ms)
{
    if (timeout_ms == 0)
        return pthread_cond_wait(c, m);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return pthread_cond_timedwait(c, m, &ts);
}

void sys_init(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&sys_prot_lock, &a);
    pthread_mutexattr_destroy(&a);
}

u32_t sys_now(void)
{
    return (u32_t)mono_ms();
}

unsigned int sys_random32(void)
{
    unsigned int r = 0;
    while (getrandom(&r, sizeof(r), 0) < 0 && errno == EINTR)
        ;
    return r;
}

sys_prot_t sys_arch_protect(void)
{
    pthread_mutex_lock(&sys_prot_lock);
    return 0;
}

void sys_arch_unprotect(sys_prot_t pval)
{
    (void)pval;
    pthread_mutex_unlock(&sys_prot_lock);
}

/* ---- semaphores ---------------------------------------------------------- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
    pthread_mutex_init(&sem->lock, NULL);
    cond_init(&sem->cond);
    sem->count = count;
    sem->valid = 1;
    SYS_STATS_INC_USED(sem);
    return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
    pthread_cond_destroy(&sem->cond);
    pthread_mutex_destroy(&sem->lock);
    sem->valid = 0;
    SYS_STATS_DEC(sem.used);
}

void sys_sem_signal(sys_sem_t *sem)
{
    pthread_mutex_lock(&sem->lock);
    sem->count++;
    pthread_cond_signal(&sem->cond);
    pthread_mutex_unlock(&sem->lock);
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
    uint64_t start = mono_ms();
    pthread_mutex_lock(&sem->lock);
    while (sem->count == 0) {
        if (cond_wait_ms(&sem->cond, &sem->lock, timeout) == ETIMEDOUT &&
            sem->count == 0) {
            pthread_mutex_unlock(&sem->lock);
            return SYS_ARCH_TIMEOUT;
        }
    }
    sem->count--;
    pthread_mutex_unlock(&sem->lock);
    return (u32_t)(mono_ms() - start);
}

/* ---- mutexes (the owner is kept for LWIP_ASSERT_CORE_LOCKED) -------------- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
    pthread_mutex_init(&mutex->lock, NULL);
    mutex->held = 0;
    mutex->valid = 1;
    SYS_STATS_INC_USED(mutex);
    return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *mutex)
{
    pthread_mutex_destroy(&mutex->lock);
    mutex->valid = 0;
    SYS_STATS_DEC(mutex.used);
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
    pthread_mutex_lock(&mutex->lock);
    mutex->owner = pthread_self();
    mutex->held = 1;
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
    mutex->held = 0;
    pthread_mutex_unlock(&mutex->lock);
}

void sys_mark_tcpip_thread(void)
{
    sys_tcpip_thread = pthread_self();
    sys_tcpip_thread_marked = 1;
}

void sys_check_core_locking(void)
{
    /* tcpip_init() runs lwip_init() before the tcpip thread exists */
    if (!sys_tcpip_thread_marked ||
        pthread_equal(pthread_self(), sys_tcpip_thread))
        return;
    LWIP_ASSERT("lwIP core used without the core lock",
                lock_tcpip_core.held &&
                pthread_equal(lock_tcpip_core.owner, pthread_self()));
}

/* ---- mailboxes ------------------------------------------------------------- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
    if (size <= 0)
        size = 16;
    struct sys_mbox_ring *r = calloc(1, sizeof(*r) + (size_t)size * sizeof(void *));
    if (r == NULL) {
        *mbox = NULL;
        SYS_STATS_INC(mbox.err);
        return ERR_MEM;
    }
    pthread_mutex_init(&r->lock, NULL);
    cond_init(&r->not_empty);
    cond_init(&r->not_full);
    r->size = (unsigned)size;
    *mbox = r;
    SYS_STATS_INC_USED(mbox);
    return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
    struct sys_mbox_ring *r = *mbox;
    if (r == NULL)
        return;
    pthread_cond_destroy(&r->not_empty);
    pthread_cond_destroy(&r->not_full);
    pthread_mutex_destroy(&r->lock);
    free(r);
    *mbox = NULL;
    SYS_STATS_DEC(mbox.used);
}

static void ring_put(struct sys_mbox_ring *r, void *msg)
{
    r->slot[(r->head + r->count) % r->size] = msg;
    r->count++;
    pthread_cond_signal(&r->not_empty);
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
    struct sys_mbox_ring *r = *mbox;
    pthread_mutex_lock(&r->lock);
    while (r->count == r->size)
        pthread_cond_wait(&r->not_full, &r->lock);
    ring_put(r, msg);
    pthread_mutex_unlock(&r->lock);
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
    struct sys_mbox_ring *r = *mbox;
    pthread_mutex_lock(&r->lock);
    if (r->count == r->size) {
        pthread_mutex_unlock(&r->lock);
        return ERR_MEM;
    }
    ring_put(r, msg);
    pthread_mutex_unlock(&r->lock);
    return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
    return sys_mbox_trypost(mbox, msg);
}

static void *ring_take(struct sys_mbox_ring *r)
{
    void *msg = r->slot[r->head];
    r->head = (r->head + 1) % r->size;
    r->count--;
    pthread_cond_signal(&r->not_full);
    return msg;
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
    struct sys_mbox_ring *r = *mbox;
    uint64_t start = mono_ms();
    pthread_mutex_lock(&r->lock);
    while (r->count == 0) {
        if (cond_wait_ms(&r->not_empty, &r->lock, timeout) == ETIMEDOUT &&
            r->count == 0) {
            pthread_mutex_unlock(&r->lock);
            if (msg)
                *msg = NULL;
            return SYS_ARCH_TIMEOUT;
        }
    }
    void *m = ring_take(r);
    pthread_mutex_unlock(&r->lock);
    if (msg)
        *msg = m;
    return (u32_t)(mono_ms() - start);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
    struct sys_mbox_ring *r = *mbox;
    pthread_mutex_lock(&r->lock);
    if (r->count == 0) {
        pthread_mutex_unlock(&r->lock);
        return SYS_MBOX_EMPTY;
    }
    void *m = ring_take(r);
    pthread_mutex_unlock(&r->lock);
    if (msg)
        *msg = m;
    return 0;
}

/* ---- threads ------------------------------------------------------------- */

struct sys_thread_start {
    lwip_thread_fn fn;
    void *arg;
};

static void *thread_main(void *p)
{
    struct sys_thread_start st = *(struct sys_thread_start *)p;
    free(p);
    st.fn(st.arg);
    return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg,
                            int stacksize, int prio)
{
    (void)name;
    (void)stacksize;
    (void)prio;
    pthread_t t;
    sigset_t all, old;
    struct sys_thread_start *st = malloc(sizeof(*st));
    LWIP_ASSERT("sys_thread_new: out of memory", st != NULL);
    st->fn = thread;
    st->arg = arg;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t, NULL, thread_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    LWIP_ASSERT("sys_thread_new: pthread_create failed", rc == 0);
    pthread_detach(t);
    return t;
}
