// cnzoo's own single-precision GEMM for linear layers, C[M,N] = A[M,K] · W[N,K]ᵀ, with the weight packed once.
// AVX-512 only (selected at run time); callers fall back to OpenBLAS when cnz_gemm_available() is 0.
#ifndef CNZOO_GEMM_H
#define CNZOO_GEMM_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per packed panel.
#define CNZ_PANEL 32

/// 1 when this CPU runs the AVX-512 kernel.
int cnz_gemm_available(void);

/// Floats needed to pack an [n, k] weight (n rounded up to whole panels).
size_t cnz_packed_count(int n, int k);

/// Packs row-major W [n, k] into panels of 32 output columns, k-major inside a panel, zero-padded.
void cnz_pack_weight(const float *w, int n, int k, float *packed);

/// C[rows, n] = A[rows, k] · Wᵀ for A and C row-major with leading dimensions k and n.
void cnz_gemm_packed(const float *a, const float *packed, float *c, int rows, int n, int k);

#ifdef __cplusplus
}
#endif
#endif
