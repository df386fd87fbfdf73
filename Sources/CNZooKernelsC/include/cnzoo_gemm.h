// cnzoo's own single-precision GEMM for linear layers, C[M,N] = A[M,K] · W[N,K]ᵀ, with the weight packed once and
// an optional fused epilogue. AVX-512 only (selected at run time); callers fall back to OpenBLAS when
// cnz_gemm_available() is 0.
#ifndef CNZOO_GEMM_H
#define CNZOO_GEMM_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per packed panel.
#define CNZ_PANEL 32

/// What happens to each finished output value v = (A · Wᵀ)[r, j].
typedef enum {
    /// C[r, j] = v.
    CNZ_EPILOGUE_NONE = 0,
    /// C[r, j] = gelu(v + bias[j]), exact (erf) form.
    CNZ_EPILOGUE_BIAS_GELU_ERF = 1,
    /// C[r, j] = gelu(v + bias[j]), tanh form.
    CNZ_EPILOGUE_BIAS_GELU_TANH = 2,
    /// residual[r, j] += scale[j] · (v + bias[j]); C is scratch for partial sums.
    CNZ_EPILOGUE_SCALED_RESIDUAL = 3,
} cnz_epilogue_kind;

typedef struct {
    cnz_epilogue_kind kind;
    const float *bias;
    const float *scale;
    float *residual;
} cnz_epilogue;

/// 1 when this CPU runs the AVX-512 kernel.
int cnz_gemm_available(void);

/// Floats needed to pack an [n, k] weight (n rounded up to whole panels).
size_t cnz_packed_count(int n, int k);

/// Packs row-major W [n, k] into panels of 32 output columns, k-major inside a panel, zero-padded.
void cnz_pack_weight(const float *w, int n, int k, float *packed);

/// C[rows, n] = A[rows, k] · Wᵀ (A, C and residual row-major with leading dimensions k, n and n), then `epilogue`.
void cnz_gemm_packed(const float *a, const float *packed, float *c, int rows, int n, int k, cnz_epilogue epilogue);

/// The same restricted to output panels [p_begin, p_end) (columns 32·p_begin ..< min(n, 32·p_end)).
void cnz_gemm_packed_panels(const float *a, const float *packed, float *c, int rows, int n, int k, int p_begin,
                            int p_end, cnz_epilogue epilogue);

#ifdef __cplusplus
}
#endif
#endif
