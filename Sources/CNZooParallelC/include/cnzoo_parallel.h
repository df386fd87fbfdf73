// A pool of persistent worker threads for the forward pass's parallel loops (GEMM row blocks, depthwise-conv rows,
// LayerNorm rows). A job is `tasks` independent calls fn(ctx, t), t = 0 … tasks − 1, claimed one at a time by the
// calling thread and up to `threads` − 1 workers, so faster threads take more tasks.
//
// Workers spin for a short while after each job before they sleep: a virtual machine takes tens to hundreds of
// microseconds to wake a sleeping vCPU, longer than many of the GEMMs of a forward pass, and the next job usually
// follows within microseconds.
#ifndef CNZOO_PARALLEL_H
#define CNZOO_PARALLEL_H

#ifdef __cplusplus
extern "C" {
#endif

/// One task of a job: `task` is 0 … tasks − 1; `thread` (0 … threads − 1, 0 = the caller) says which of the job's
/// threads runs it, so a task may use per-thread scratch space. Two tasks with the same `thread` never overlap.
typedef void (*cnz_task_fn)(void *ctx, int task, int thread);

/// Runs fn(ctx, t) for every t in 0 … tasks − 1 over at most `threads` threads (the caller is one of them) and
/// returns when all have finished. Runs every task on the calling thread when `threads` ≤ 1, `tasks` ≤ 1, when
/// called from inside a task, or while another thread's job holds the pool (jobs never wait for each other).
void cnz_parallel_for(int threads, int tasks, cnz_task_fn fn, void *ctx);

/// How long (microseconds) an idle worker spins before it sleeps; the default is 500, `CNZOO_SPIN_US` sets it.
int cnz_parallel_spin_us(void);

#ifdef __cplusplus
}
#endif
#endif
