// AVX-512 SGEMM for C = A · Wᵀ with a pre-packed W. Register block: 8 rows × 32 columns (16 zmm accumulators),
// one broadcast of A and two loads of packed W per k step. K is blocked so a packed chunk stays in L2; later K
// blocks accumulate into C. Compiled for AVX-512 through function attributes and chosen at run time.
#include "cnzoo_gemm.h"
#include <immintrin.h>
#include <string.h>

#define KC 512
#define MB 64

int cnz_gemm_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

size_t cnz_packed_count(int n, int k) {
    size_t panels = ((size_t)n + CNZ_PANEL - 1) / CNZ_PANEL;
    return panels * (size_t)k * CNZ_PANEL;
}

void cnz_pack_weight(const float *w, int n, int k, float *packed) {
    int panels = (n + CNZ_PANEL - 1) / CNZ_PANEL;
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * k * CNZ_PANEL;
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < CNZ_PANEL; j++) {
                int col = p * CNZ_PANEL + j;
                dst[(size_t)kk * CNZ_PANEL + j] = col < n ? w[(size_t)col * k + kk] : 0.0f;
            }
        }
    }
}

#define ROW_FMA(r)                                                   \
    {                                                                \
        __m512 av = _mm512_set1_ps(a[(size_t)(r) * lda + kk]);       \
        c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);                  \
        c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);                  \
    }

#define ROW_STORE(r)                                                                          \
    {                                                                                         \
        float *cr = c + (size_t)(r) * ldc;                                                    \
        if (accumulate) {                                                                     \
            c##r##0 = _mm512_add_ps(c##r##0, _mm512_maskz_loadu_ps(m0, cr));                  \
            c##r##1 = _mm512_add_ps(c##r##1, _mm512_maskz_loadu_ps(m1, cr + 16));             \
        }                                                                                     \
        finish(&c##r##0, &c##r##1, cr, (size_t)(r) * ldc, m0, m1, ep);                        \
    }

/// The shared epilogue input: the column offset of this panel, and whether this is the last K block.
typedef struct {
    cnz_epilogue e;
    size_t col;
    int last;
} panel_epilogue;

__attribute__((target("avx512f"))) static inline __m512 erf16(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_fmadd_ps(x2, _mm512_set1_ps(-2.72614225801306e-10f), _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
    p = _mm512_mul_ps(p, x);
    __m512 q = _mm512_fmadd_ps(x2, _mm512_set1_ps(-1.45660718464996e-05f), _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
    return _mm512_div_ps(p, q);
}

/// e^x: x = n·ln2 + r, degree-6 polynomial for e^r, 2^n by scalef.
__attribute__((target("avx512f"))) static inline __m512 exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(1.9875691500e-4f), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 e = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(e, n);
}

__attribute__((target("avx512f"))) static inline __m512 gelu16(__m512 x, int tanh_form) {
    if (tanh_form) {
        __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.79788456080286536f), _mm512_fmadd_ps(x3, _mm512_set1_ps(0.044715f), x));
        return _mm512_div_ps(x, _mm512_add_ps(exp16(_mm512_mul_ps(u, _mm512_set1_ps(-2.0f))), _mm512_set1_ps(1.0f)));
    }
    __m512 h = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
    return _mm512_fmadd_ps(h, erf16(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f))), h);
}

/// Stores one row's 32 finished values (v0: columns 0-15, v1: 16-31), applying the epilogue on the last K block.
__attribute__((target("avx512f"))) static inline void finish(__m512 *v0, __m512 *v1, float *cr, size_t roff,
                                                             __mmask16 m0, __mmask16 m1, const panel_epilogue *ep) {
    if (!ep->last || ep->e.kind == CNZ_EPILOGUE_NONE) {
        _mm512_mask_storeu_ps(cr, m0, *v0);
        _mm512_mask_storeu_ps(cr + 16, m1, *v1);
        return;
    }
    __m512 a = _mm512_add_ps(*v0, _mm512_maskz_loadu_ps(m0, ep->e.bias + ep->col));
    __m512 b = _mm512_add_ps(*v1, _mm512_maskz_loadu_ps(m1, ep->e.bias + ep->col + 16));
    if (ep->e.kind == CNZ_EPILOGUE_SCALED_RESIDUAL) {
        float *res = ep->e.residual + roff + ep->col;
        a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, ep->e.scale + ep->col), a, _mm512_maskz_loadu_ps(m0, res));
        b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, ep->e.scale + ep->col + 16), b, _mm512_maskz_loadu_ps(m1, res + 16));
        _mm512_mask_storeu_ps(res, m0, a);
        _mm512_mask_storeu_ps(res + 16, m1, b);
        return;
    }
    int tanh_form = ep->e.kind == CNZ_EPILOGUE_BIAS_GELU_TANH;
    _mm512_mask_storeu_ps(cr, m0, gelu16(a, tanh_form));
    _mm512_mask_storeu_ps(cr + 16, m1, gelu16(b, tanh_form));
}

/// 8 rows × 32 columns over `kn` steps.
__attribute__((target("avx512f"))) static void kernel8(const float *a, int lda, const float *b, int kn, float *c,
                                                       int ldc, __mmask16 m0, __mmask16 m1, int accumulate,
                                                       const panel_epilogue *ep) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    for (int kk = 0; kk < kn; kk++) {
        __m512 b0 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL);
        __m512 b1 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL + 16);
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3) ROW_FMA(4) ROW_FMA(5) ROW_FMA(6) ROW_FMA(7)
    }
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
}

/// 1 row × 32 columns (row tails).
__attribute__((target("avx512f"))) static void kernel1(const float *a, const float *b, int kn, float *c,
                                                       __mmask16 m0, __mmask16 m1, int accumulate,
                                                       const panel_epilogue *ep) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
    const int lda = 0;
    for (int kk = 0; kk < kn; kk++) {
        __m512 b0 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL);
        __m512 b1 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL + 16);
        ROW_FMA(0)
    }
    float *cr = c;
    if (accumulate) {
        c00 = _mm512_add_ps(c00, _mm512_maskz_loadu_ps(m0, cr));
        c01 = _mm512_add_ps(c01, _mm512_maskz_loadu_ps(m1, cr + 16));
    }
    finish(&c00, &c01, cr, 0, m0, m1, ep);
}

void cnz_gemm_packed(const float *a, const float *packed, float *c, int rows, int n, int k, cnz_epilogue epilogue) {
    cnz_gemm_packed_panels(a, packed, c, rows, n, k, 0, (n + CNZ_PANEL - 1) / CNZ_PANEL, epilogue);
}

__attribute__((target("avx512f"))) void cnz_gemm_packed_panels(const float *a, const float *packed, float *c,
                                                               int rows, int n, int k, int p_begin, int p_end,
                                                               cnz_epilogue epilogue) {
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kn = k - k0 < KC ? k - k0 : KC;
        int accumulate = k0 > 0;
        for (int i0 = 0; i0 < rows; i0 += MB) {
            int iEnd = rows - i0 < MB ? rows : i0 + MB;
            for (int p = p_begin; p < p_end; p++) {
                int cols = n - p * CNZ_PANEL;
                __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
                __mmask16 m1 = cols >= 32 ? 0xFFFF : (cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1));
                const float *b = packed + (size_t)p * k * CNZ_PANEL + (size_t)k0 * CNZ_PANEL;
                panel_epilogue ep = {epilogue, (size_t)p * CNZ_PANEL, k0 + kn >= k};
                int i = i0;
                for (; i + 8 <= iEnd; i += 8) {
                    panel_epilogue epr = ep;
                    epr.e.residual = epilogue.residual ? epilogue.residual + (size_t)i * n : 0;
                    kernel8(a + (size_t)i * k + k0, k, b, kn, c + (size_t)i * n + p * CNZ_PANEL, n, m0, m1, accumulate,
                            &epr);
                }
                for (; i < iEnd; i++) {
                    panel_epilogue epr = ep;
                    epr.e.residual = epilogue.residual ? epilogue.residual + (size_t)i * n : 0;
                    kernel1(a + (size_t)i * k + k0, b, kn, c + (size_t)i * n + p * CNZ_PANEL, m0, m1, accumulate, &epr);
                }
            }
        }
    }
}
