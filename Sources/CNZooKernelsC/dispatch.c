// Run-time choice of the kernel set: the best ISA this CPU supports, unless CNZOO_ISA names another supported one.
// Chosen once, when the library is loaded (a constructor), and on first use if something runs before that.
#include "kernel_tables.h"

// Declared here rather than through <stdlib.h> so this file needs only freestanding headers (see cnzoo_kernels.h).
extern char *getenv(const char *name);

int cnz_isa_supported(cnz_isa isa) {
    switch (isa) {
    case CNZ_ISA_PORTABLE: return 1;
#if defined(__x86_64__)
    case CNZ_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CNZ_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

#if defined(__x86_64__)
int cnz_cpu_has(cnz_extension e) {
    static int known[2] = {-1, -1};  // benign race: every thread computes the same answer
    if (known[e] < 0) {
        __builtin_cpu_init();
        known[e] = e == CNZ_EXT_CLMUL ? __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1")
                                      : __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
    }
    return known[e];
}
#endif

const cnz_kernels *cnz_kernels_for(cnz_isa isa) {
    if (!cnz_isa_supported(isa)) return 0;
    switch (isa) {
#if defined(__x86_64__)
    case CNZ_ISA_AVX512: return &cnz_kernels_avx512;
    case CNZ_ISA_AVX2: return &cnz_kernels_avx2;
#endif
    default: return &cnz_kernels_portable;
    }
}

const char *cnz_isa_name(cnz_isa isa) {
    switch (isa) {
    case CNZ_ISA_AVX512: return "avx512";
    case CNZ_ISA_AVX2: return "avx2";
    default: return "portable";
    }
}

static int same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static const cnz_kernels *choose(void) {
    const char *want = getenv("CNZOO_ISA");
    if (want) {
        for (int i = CNZ_ISA_AVX512; i >= CNZ_ISA_PORTABLE; i--) {
            if (same(want, cnz_isa_name((cnz_isa)i)) && cnz_isa_supported((cnz_isa)i)) return cnz_kernels_for((cnz_isa)i);
        }
    }
    for (int i = CNZ_ISA_AVX512; i > CNZ_ISA_PORTABLE; i--) {
        if (cnz_isa_supported((cnz_isa)i)) return cnz_kernels_for((cnz_isa)i);
    }
    return &cnz_kernels_portable;
}

static const cnz_kernels *active;

__attribute__((constructor)) static void choose_at_load(void) { __atomic_store_n(&active, choose(), __ATOMIC_RELEASE); }

const cnz_kernels *cnz_kernels_active(void) {
    const cnz_kernels *k = __atomic_load_n(&active, __ATOMIC_ACQUIRE);
    if (k) return k;
    choose_at_load();
    return __atomic_load_n(&active, __ATOMIC_ACQUIRE);
}

static const cnz_epilogue identity = {0, CNZ_ACT_NONE, 0, 0, 0};

void cnz_gemm(const cnz_kernels *kern, const float *a, const float *packed, float *c, int rows, int n, int k,
              int p_begin, int p_end, const cnz_epilogue *e) {
    cnz_layout la = {k, CNZ_BLOCK}, lc = {n, CNZ_BLOCK};
    kern->gemm(a, la, packed, c, lc, rows, n, k, p_begin, p_end, e ? e : &identity);
}

void cnz_gemm_layout(const cnz_kernels *kern, const float *a, cnz_layout la, const float *packed, float *c,
                     cnz_layout lc, int rows, int n, int k, int p_begin, int p_end, const cnz_epilogue *e) {
    kern->gemm(a, la, packed, c, lc, rows, n, k, p_begin, p_end, e ? e : &identity);
}

void cnz_dwconv(const cnz_kernels *kern, const float *in, float *out, int h, int w, int c, int k,
                const float *weight, int y_begin, int y_end, const cnz_epilogue *e) {
    kern->dwconv(in, out, h, w, c, k, weight, y_begin, y_end, e ? e : &identity);
}

void cnz_layernorm(const cnz_kernels *kern, const float *x, float *y, int rows, int c, const float *weight,
                   const float *bias, float eps) {
    kern->layernorm(x, y, rows, c, weight, bias, eps);
}

void cnz_rows(const cnz_kernels *kern, const float *x, float *y, int rows, int cols, const cnz_epilogue *e) {
    kern->rows(x, y, rows, cols, e ? e : &identity);
}

void cnz_avgpool(const cnz_kernels *kern, const float *x, float *out, int n, int hw, int c) {
    kern->avgpool(x, out, n, hw, c);
}

void cnz_math(const cnz_kernels *kern, cnz_math_op op, const float *x, float *y, size_t count) {
    kern->math(op, x, y, count);
}
