// The workers of ComputeThreads.forRanges (Tensor/Parallel.swift): see include/ckernels.h.
//
// A job is `parts` calls task(context, part); the caller runs part 0 and helper thread i runs part i
// (helpers beyond the job's parts only answer it).
// Helpers are started on first use and live as long as the process. Between jobs a helper spins for
// a while on the job counter, then sleeps on a condition variable; a caller wakes sleepers only when
// there are any (the Dekker pairing of `sleepers` and `generation`, both sequentially consistent, makes
// sure a helper that is about to sleep either sees the new job or is seen sleeping).
// One job at a time: a job started while another runs (from a task, or from a second thread) runs all
// its parts on its caller, in order. Which part covers which elements is the caller's business, so the
// results are the same either way.
#include "ckernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define relax() _mm_pause()
#elif defined(__aarch64__)
#define relax() __asm__ __volatile__("yield")
#else
#define relax() ((void)0)
#endif

enum { maximumHelpers = 63 };
// About 50 microseconds of pause instructions before a helper sleeps: a training step starts its next
// parallel loop within a few microseconds, so helpers rarely sleep inside a step.
enum { spinsBeforeSleep = 20000 };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_long generation;          // bumped once per job
    atomic_long sleepers;            // helpers waiting on `wake`
    atomic_long unfinished;          // helpers that have not yet answered the current job
    atomic_bool busy;                // a job is running
    genecoding_pool_task task;       // the current job (written before `generation` is bumped)
    void *context;
    long parts;
    long started;                    // helpers running (only the job's caller writes it)
    long firstSeen[maximumHelpers + 1];  // the job counter when each helper was started
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static void *helper(void *argument) {
    const long index = (long)argument;           // 1 ... maximumHelpers
    long seen = pool.firstSeen[index];
    for (;;) {
        long now = atomic_load(&pool.generation);
        for (long spin = 0; now == seen && spin < spinsBeforeSleep; spin++) {
            relax();
            now = atomic_load(&pool.generation);
        }
        if (now == seen) {
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1);
            while ((now = atomic_load(&pool.generation)) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.lock);
        }
        seen = now;
        if (index < pool.parts) pool.task(pool.context, index);
        atomic_fetch_sub(&pool.unfinished, 1);   // every helper answers every job, so none lags a job behind
    }
    return NULL;
}

static void runInOrder(long parts, genecoding_pool_task task, void *context) {
    for (long part = 0; part < parts; part++) task(context, part);
}

void genecoding_pool_run(long parts, genecoding_pool_task task, void *context) {
    if (parts <= 1 || parts > maximumHelpers + 1) { runInOrder(parts, task, context); return; }
    bool idle = false;
    if (!atomic_compare_exchange_strong(&pool.busy, &idle, true)) { runInOrder(parts, task, context); return; }
    while (pool.started < parts - 1) {
        pthread_t thread;
        pool.firstSeen[pool.started + 1] = atomic_load(&pool.generation);
        if (pthread_create(&thread, NULL, helper, (void *)(pool.started + 1)) != 0) break;
        pthread_detach(thread);
        pool.started++;
    }
    if (pool.started < parts - 1) {              // the system gave us fewer threads: still correct, in order
        atomic_store(&pool.busy, false);
        runInOrder(parts, task, context);
        return;
    }
    pool.task = task;
    pool.context = context;
    pool.parts = parts;
    atomic_store(&pool.unfinished, pool.started);
    atomic_fetch_add(&pool.generation, 1);       // publishes the job (sequentially consistent)
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    task(context, 0);
    while (atomic_load(&pool.unfinished) > 0) relax();
    atomic_store(&pool.busy, false);
}
