// Paired A/B of two versions of the AVX-512 GEMM and depthwise kernels (kernels_template.h): A and B run one after
// the other, 61 times per shape, in one process, so the slow phases of a shared machine fall on both alike; the
// median of the per-pair time ratios B/A (and its quartiles) is the figure to read. Built and run by run.sh.
#include "cnzoo_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void ab_gemm_A(const float *, const float *, float *, int, int, int, int, int, const cnz_epilogue *);
void ab_gemm_B(const float *, const float *, float *, int, int, int, int, int, const cnz_epilogue *);
void ab_dwconv_A(const float *, float *, int, int, int, int, const float *, int, int, const cnz_epilogue *);
void ab_dwconv_B(const float *, float *, int, int, int, int, const float *, int, int, const cnz_epilogue *);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float *rnd(size_t n) {
    float *p = aligned_alloc(64, (n * 4 + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++) p[i] = (float)(rand() % 1000) / 1000.f - 0.5f;
    return p;
}
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
enum { R = 61 };
static void report(const char *what, double flops, double *ta, double *tb) {
    double ratio[R];
    for (int r = 0; r < R; r++) ratio[r] = tb[r] / ta[r];
    qsort(ta, R, 8, cmp); qsort(tb, R, 8, cmp); qsort(ratio, R, 8, cmp);
    printf("%-28s A %6.1f  B %6.1f GFLOP/s (medians) | B/A time %.3f [%.3f %.3f]\n", what, flops / ta[R / 2] / 1e9,
           flops / tb[R / 2] / 1e9, ratio[R / 2], ratio[R / 4], ratio[3 * R / 4]);
}
int main(int argc, char **argv) {
    cnz_activation act = argc > 1 ? (cnz_activation)atoi(argv[1]) : CNZ_ACT_GELU_ERF;
    int gemms[][3] = {{3136, 96, 384}, {3136, 384, 96}, {784, 192, 768}, {784, 768, 192}, {196, 384, 1536},
                      {196, 1536, 384}, {49, 768, 3072}, {1024, 768, 768}};
    for (int s = 0; s < 8; s++) {
        int m = gemms[s][0], k = gemms[s][1], n = gemms[s][2];
        float *a = rnd((size_t)m * k), *w = rnd((size_t)n * k), *c = rnd((size_t)m * n), *bias = rnd(n);
        float *p = aligned_alloc(64, cnz_packed_count(n, k) * 4);
        cnz_pack_weight(w, CNZ_SRC_F32, n, k, p);
        cnz_epilogue e = {bias, act, 0, 0, 0};
        double ta[R], tb[R];
        for (int r = 0; r < R; r++) {
            double t0 = now(); ab_gemm_A(a, p, c, m, n, k, 0, (n + 31) / 32, &e);
            double t1 = now(); ab_gemm_B(a, p, c, m, n, k, 0, (n + 31) / 32, &e);
            ta[r] = t1 - t0; tb[r] = now() - t1;
        }
        char what[64];
        snprintf(what, sizeof what, "gemm %dx%dx%d", m, k, n);
        report(what, 2.0 * m * n * k, ta, tb);
    }
    int dws[][4] = {{56, 56, 96, 7}, {28, 28, 192, 7}, {14, 14, 384, 7}, {7, 7, 768, 7}, {32, 32, 768, 7}, {32, 32, 768, 9}};
    for (int s = 0; s < 6; s++) {
        int h = dws[s][0], w = dws[s][1], c = dws[s][2], k = dws[s][3];
        float *x = rnd((size_t)h * w * c), *o = rnd((size_t)h * w * c), *wt = rnd((size_t)k * k * c), *b = rnd(c);
        cnz_epilogue e = {b, CNZ_ACT_RELU, 0, 0, 0};
        double ta[R], tb[R];
        for (int r = 0; r < R; r++) {
            double t0 = now(); ab_dwconv_A(x, o, h, w, c, k, wt, 0, h, &e);
            double t1 = now(); ab_dwconv_B(x, o, h, w, c, k, wt, 0, h, &e);
            ta[r] = t1 - t0; tb[r] = now() - t1;
        }
        char what[64];
        snprintf(what, sizeof what, "dwconv%d %dx%dx%d", k, h, w, c);
        report(what, 2.0 * h * w * c * k * k, ta, tb);
    }
    return 0;
}
