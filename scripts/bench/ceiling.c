// What one core of this machine can do right now, for reading the other benchmarks: GFLOP/s of
//   fma       24 independent 512-bit FMA chains, no memory operands (the FMA peak);
//   block RxV an L1-resident register block shaped like a GEMM micro-kernel: per K step V vector loads and R
//             broadcasts feeding R·V accumulators (R×V = 12×2 is cnzoo's AVX-512 GEMM block; 8×3, 6×4 as oneDNN-
//             and BLIS-like shapes), nothing leaving L1, no epilogue.
// The gap between the two is what loads cost on this core at this moment (other tenants of a shared host change it
// minute to minute); a GEMM can reach at most the block figure. Run once per CPU (taskset), repeat, quote medians.
//
//   clang -O2 scripts/bench/ceiling.c -o /tmp/ceiling && for c in 0 1; do taskset -c $c /tmp/ceiling; done
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// Operands, written at run time so the compiler cannot fold them.
float a_block[16 * 256] __attribute__((aligned(64))), b_block[256 * 64] __attribute__((aligned(64)));
volatile float sink;

#define UNROLL _Pragma("clang loop unroll(full)")

__attribute__((target("avx512f,fma"))) static double fma_peak(long iterations) {
    __m512 acc[24];
    UNROLL for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps(1e-3f * i);
    __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-4f);
    double t0 = now();
    for (long it = 0; it < iterations; it++) {
        UNROLL for (int j = 0; j < 24; j++) acc[j] = _mm512_fmadd_ps(acc[j], b, c);
        __asm__ volatile("" ::"v"(acc[0]), "v"(acc[11]), "v"(acc[23]));
    }
    double t = now() - t0;
    float s = 0;
    for (int j = 0; j < 24; j++) s += _mm512_reduce_add_ps(acc[j]);
    sink = s;
    return 2.0 * 16 * 24 * iterations / t / 1e9;
}

/// R broadcasts × V vectors per K step over 256 steps (a: R·256 floats, b: V·16·256 floats, both in L1).
#define BLOCK(R, V)                                                                                                    \
    __attribute__((target("avx512f,fma"))) static double block_##R##x##V(long iterations) {                            \
        __m512 acc[R * V];                                                                                             \
        UNROLL for (int i = 0; i < R * V; i++) acc[i] = _mm512_setzero_ps();                                           \
        double t0 = now();                                                                                             \
        for (long it = 0; it < iterations; it++) {                                                                     \
            for (int q = 0; q < 256; q++) {                                                                            \
                __m512 b[V];                                                                                           \
                UNROLL for (int v = 0; v < V; v++) b[v] = _mm512_load_ps(b_block + (q * V + v) * 16);                  \
                UNROLL for (int r = 0; r < R; r++) {                                                                   \
                    __m512 a = _mm512_set1_ps(a_block[q * R + r]);                                                     \
                    UNROLL for (int v = 0; v < V; v++) acc[r * V + v] = _mm512_fmadd_ps(a, b[v], acc[r * V + v]);      \
                }                                                                                                      \
            }                                                                                                          \
            __asm__ volatile("" ::: "memory");                                                                         \
        }                                                                                                              \
        double t = now() - t0;                                                                                         \
        float s = 0;                                                                                                   \
        for (int j = 0; j < R * V; j++) s += _mm512_reduce_add_ps(acc[j]);                                             \
        sink = s;                                                                                                      \
        return 2.0 * 16 * R * V * 256.0 * iterations / t / 1e9;                                                        \
    }
BLOCK(12, 2)
BLOCK(8, 3)
BLOCK(6, 4)

int main(void) {
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "ceiling: needs AVX-512F\n");
        return 1;
    }
    for (int i = 0; i < 16 * 256; i++) a_block[i] = 1e-6f * i;
    for (int i = 0; i < 256 * 64; i++) b_block[i] = 1e-6f * i;
    double peak = fma_peak(20000000);
    double b12 = block_12x2(400000), b8 = block_8x3(600000), b6 = block_6x4(800000);
    printf("fma %.1f  block 12x2 %.1f (%.2f)  8x3 %.1f (%.2f)  6x4 %.1f (%.2f) GFLOP/s (÷ fma)\n", peak, b12, b12 / peak,
           b8, b8 / peak, b6, b6 / peak);
    return 0;
}
