// The worker pool behind cnz_parallel_for (see cnzoo_parallel.h).
//
// A job is published by storing a new generation in `job_state`; the low bits of `job_state` count the workers that
// joined it, and a `CLOSED` bit, set by the caller once every task has been claimed, stops late workers from joining.
// The caller then waits until every joined worker has left, so no worker can touch a job's fields after
// cnz_parallel_for returns, and a worker that is asleep or descheduled never delays a job it did not join.
#define _GNU_SOURCE
#include "cnzoo_parallel.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_WORKERS = 63 };
#define CLOSED ((uint64_t)1 << 31)
#define JOINED_MASK (CLOSED - 1)

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;  // held by the thread running a job
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int workers;  // started (guarded by job_lock)
static _Atomic int sleepers;
static _Atomic uint64_t job_state;  // generation << 32 | CLOSED | joined
static _Atomic int job_left;        // joined workers that have finished
static _Atomic int next_task;
// The current job; written before its generation is published, read by workers after they joined it.
static cnz_task_fn job_fn;
static void *job_ctx;
static int job_tasks;
static int job_max_workers;
static _Thread_local int inside_task;
static int spin_us = -1;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int cnz_parallel_spin_us(void) {
    if (spin_us < 0) {  // benign race: every thread computes the same value
        const char *s = getenv("CNZOO_SPIN_US");
        long v = s ? strtol(s, 0, 10) : 500;
        spin_us = v < 0 ? 0 : v > 1000000 ? 1000000 : (int)v;
    }
    return spin_us;
}

static void run_tasks(int thread) {
    inside_task = 1;
    for (int t; (t = atomic_fetch_add(&next_task, 1)) < job_tasks;) job_fn(job_ctx, t, thread);
    inside_task = 0;
}

/// Waits until `job_state` carries a generation other than `seen`: spins, then sleeps.
static uint64_t wait_for_job(uint32_t seen) {
    uint64_t s, deadline = 0;
    for (unsigned i = 0;; i++) {
        s = atomic_load_explicit(&job_state, memory_order_acquire);
        if ((uint32_t)(s >> 32) != seen) return s;
        cpu_relax();
        if ((i & 255) != 255) continue;
        uint64_t t = now_ns();
        if (!deadline) deadline = t + (uint64_t)cnz_parallel_spin_us() * 1000u;
        if (t >= deadline) break;
    }
    pthread_mutex_lock(&sleep_lock);
    atomic_fetch_add(&sleepers, 1);
    while ((uint32_t)((s = atomic_load(&job_state)) >> 32) == seen) pthread_cond_wait(&wake, &sleep_lock);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&sleep_lock);
    return s;
}

static void *worker_main(void *unused) {
    (void)unused;
    uint32_t seen = (uint32_t)(atomic_load(&job_state) >> 32);
    for (;;) {
        uint64_t s = wait_for_job(seen);
        seen = (uint32_t)(s >> 32);
        // Join unless the job is closed or has all the workers it asked for.
        int slot = 0;  // this worker's thread number in the job, 1 … job_max_workers; 0 = not joined
        while (!(s & CLOSED) && (int)(s & JOINED_MASK) < job_max_workers && (uint32_t)(s >> 32) == seen) {
            if (atomic_compare_exchange_weak(&job_state, &s, s + 1)) {
                slot = (int)(s & JOINED_MASK) + 1;
                break;
            }
        }
        if (!slot) continue;  // `seen` stays this job's generation, so a newer job is looked at at once
        run_tasks(slot);
        atomic_fetch_add_explicit(&job_left, 1, memory_order_release);
    }
    return 0;
}

/// After fork() the child has none of the workers: start from an empty pool.
static void reset_in_child(void) {
    pthread_mutex_init(&job_lock, 0);
    pthread_mutex_init(&sleep_lock, 0);
    pthread_cond_init(&wake, 0);
    workers = 0;
    atomic_store(&sleepers, 0);
}

static void start_workers(int wanted) {
    static int registered;
    if (!registered) {
        registered = 1;
        pthread_atfork(0, 0, reset_in_child);
    }
    while (workers < wanted) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        int failed = pthread_create(&t, &attr, worker_main, 0);
        pthread_attr_destroy(&attr);
        if (failed) return;  // run with the workers there are
        workers++;
    }
}

void cnz_parallel_for(int threads, int tasks, cnz_task_fn fn, void *ctx) {
    if (tasks <= 0) return;
    if (threads > tasks) threads = tasks;
    if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
    if (threads <= 1 || inside_task || pthread_mutex_trylock(&job_lock) != 0) {
        int was_inside = inside_task;
        inside_task = 1;
        for (int t = 0; t < tasks; t++) fn(ctx, t, 0);
        inside_task = was_inside;
        return;
    }
    start_workers(threads - 1);
    job_fn = fn;
    job_ctx = ctx;
    job_tasks = tasks;
    job_max_workers = threads - 1 < workers ? threads - 1 : workers;
    atomic_store(&next_task, 0);
    atomic_store(&job_left, 0);
    uint32_t generation = (uint32_t)(atomic_load(&job_state) >> 32) + 1;
    atomic_store(&job_state, (uint64_t)generation << 32);  // publishes the job (seq_cst, paired with `sleepers`)
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    run_tasks(0);
    int joined = (int)(atomic_fetch_or(&job_state, CLOSED) & JOINED_MASK);
    while (atomic_load_explicit(&job_left, memory_order_acquire) < joined) cpu_relax();
    pthread_mutex_unlock(&job_lock);
}
