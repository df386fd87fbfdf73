// cnzoo's compute kernels: GEMM with fused epilogues, depthwise convolution, LayerNorm, GELU/ReLU/BatchNorm passes
// and pooling, over float32 NHWC data. Each kernel is compiled several times — for AVX-512, for AVX2+FMA and as
// portable C (SSE2 on x86-64, NEON on arm64) — and one set is chosen once at start-up from the CPU
// (`__builtin_cpu_supports`), or from the environment variable CNZOO_ISA=avx512|avx2|portable.
//
// Only freestanding headers are used, so the files compile for any target without a C library (the tests check
// arm64 with `clang --target=aarch64-linux-gnu -ffreestanding -fsyntax-only`).
#ifndef CNZOO_KERNELS_H
#define CNZOO_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per packed weight panel (the same on every ISA, so packed weights never depend on the chosen kernels).
#define CNZ_PANEL 32

/// Channels per block of the channel-blocked layout (see `cnz_layout`).
#define CNZ_BLOCK 16

/// Where element (r, j) of a matrix lives: r·row_stride + (j / CNZ_BLOCK)·block_stride + j % CNZ_BLOCK floats from
/// its start. Row-major [rows, cols]: {cols, CNZ_BLOCK}. Channel-blocked over `rows` rows — CNZ_BLOCK channels of
/// every row, then the next CNZ_BLOCK (NCHW16c when the rows are an image's pixels): {CNZ_BLOCK, CNZ_BLOCK·rows}.
typedef struct {
    ptrdiff_t row_stride;
    ptrdiff_t block_stride;
} cnz_layout;

/// An instruction-set level with its own compiled kernels.
typedef enum {
    /// Portable C (128-bit vectors: SSE2 on x86-64, NEON on arm64).
    CNZ_ISA_PORTABLE = 0,
    /// x86-64 AVX2 + FMA (256-bit vectors).
    CNZ_ISA_AVX2 = 1,
    /// x86-64 AVX-512 F/BW/DQ/VL (512-bit vectors).
    CNZ_ISA_AVX512 = 2,
} cnz_isa;

/// An activation applied element-wise.
typedef enum {
    CNZ_ACT_NONE = 0,
    CNZ_ACT_RELU = 1,
    /// Exact GELU, 0.5·x·(1 + erf(x/√2)) (erf: rational approximation, max abs error ≈ 3.5e-7).
    CNZ_ACT_GELU_ERF = 2,
    /// tanh-form GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    CNZ_ACT_GELU_TANH = 3,
} cnz_activation;

/// What happens to each finished value v at (row r, column j), in this order:
/// v += bias[j]; v = act(v); v = v·post_scale[j] + post_shift[j]; then the residual (see each kernel).
/// Every pointer may be NULL (skipped). post_scale/post_shift hold a folded BatchNorm or a layer scale.
typedef struct {
    const float *bias;
    cnz_activation act;
    const float *post_scale;
    const float *post_shift;
    /// GEMM: residual[r, j] += v (row stride n; C then receives only scratch). Other kernels: out = v + residual.
    float *residual;
} cnz_epilogue;

/// Element-wise functions for `cnz_math` (tests and small passes).
typedef enum {
    CNZ_MATH_ERF = 0,
    CNZ_MATH_EXP = 1,
    CNZ_MATH_GELU_ERF = 2,
    CNZ_MATH_GELU_TANH = 3,
} cnz_math_op;

/// One ISA's kernels (see the cnz_* wrappers below for what each does).
typedef struct cnz_kernels {
    cnz_isa isa;
    void (*gemm)(const float *a, cnz_layout la, const float *packed, float *c, cnz_layout lc, int rows, int n, int k,
                 int p_begin, int p_end, const cnz_epilogue *e);
    void (*dwconv)(const float *in, float *out, int h, int w, int c, int k, const float *weight, int y_begin,
                   int y_end, const cnz_epilogue *e);
    void (*layernorm)(const float *x, float *y, int rows, int c, const float *weight, const float *bias, float eps);
    void (*rows)(const float *x, float *y, int rows, int cols, const cnz_epilogue *e);
    void (*avgpool)(const float *x, float *out, int n, int hw, int c);
    void (*math)(cnz_math_op op, const float *x, float *y, size_t count);
} cnz_kernels;

/// 1 when this CPU can run `isa`'s kernels (and they were compiled in).
int cnz_isa_supported(cnz_isa isa);

/// The kernels for `isa`, or NULL when unsupported here.
const cnz_kernels *cnz_kernels_for(cnz_isa isa);

/// The kernels chosen once at start-up: CNZOO_ISA if set to a supported level, else the best the CPU supports.
const cnz_kernels *cnz_kernels_active(void);

/// "avx512", "avx2" or "portable".
const char *cnz_isa_name(cnz_isa isa);

/// Floats needed to pack an [n, k] weight (n rounded up to whole panels).
size_t cnz_packed_count(int n, int k);

/// Element types `cnz_pack_weight` reads.
typedef enum { CNZ_SRC_F32 = 0, CNZ_SRC_F16 = 1, CNZ_SRC_BF16 = 2, CNZ_SRC_F64 = 3 } cnz_source_type;

/// Packs a row-major little-endian weight W [n, k] of type `type` (widened exactly; f64 rounded) into panels of
/// CNZ_PANEL output columns, k-major inside a panel, zero-padded. `src` needs no alignment.
void cnz_pack_weight(const void *src, cnz_source_type type, int n, int k, float *packed);

/// Widens `count` little-endian values of type `type` to float32 (`src` needs no alignment).
void cnz_widen(const void *src, cnz_source_type type, size_t count, float *dst);

/// C[rows, n] = A[rows, k] · Wᵀ (A and C row-major, leading dimensions k and n) for the output panels
/// [p_begin, p_end) (columns CNZ_PANEL·p_begin ..< min(n, CNZ_PANEL·p_end)), then the epilogue `e` (may be NULL).
void cnz_gemm(const cnz_kernels *kern, const float *a, const float *packed, float *c, int rows, int n, int k,
              int p_begin, int p_end, const cnz_epilogue *e);

/// `cnz_gemm` for A and C in any `cnz_layout` (the residual laid out like C); the same sums in the same order.
void cnz_gemm_layout(const cnz_kernels *kern, const float *a, cnz_layout la, const float *packed, float *c,
                     cnz_layout lc, int rows, int n, int k, int p_begin, int p_end, const cnz_epilogue *e);

/// Depthwise k×k convolution (any odd k), stride 1, zero "same" padding, NHWC one image [h, w, c], weight
/// [k][k][c] (tap-major); output rows [y_begin, y_end); then `e` (its bias is the conv bias; residual:
/// out = v + residual, same layout as out). `out` must not overlap `in`.
void cnz_dwconv(const cnz_kernels *kern, const float *in, float *out, int h, int w, int c, int k,
                const float *weight, int y_begin, int y_end, const cnz_epilogue *e);

/// LayerNorm of each row of x [rows, c] into y (may alias x): (x − mean)/√(var + eps)·weight + bias, biased var.
void cnz_layernorm(const cnz_kernels *kern, const float *x, float *y, int rows, int c, const float *weight,
                   const float *bias, float eps);

/// y[r, j] = epilogue(x[r, j]) over [rows, cols] (y may alias x or e->residual): bias, activation, BatchNorm,
/// residual — the GEMM epilogue as its own pass.
void cnz_rows(const cnz_kernels *kern, const float *x, float *y, int rows, int cols, const cnz_epilogue *e);

/// Global average pooling: out[b, j] = mean over the hw positions of x[b, ·, j] (x is [n, hw, c]).
void cnz_avgpool(const cnz_kernels *kern, const float *x, float *out, int n, int hw, int c);

/// y[i] = op(x[i]) (y may alias x).
void cnz_math(const cnz_kernels *kern, cnz_math_op op, const float *x, float *y, size_t count);

/// Folds BatchNorm inference parameters into a per-channel affine map: scale = γ/√(var + eps), shift = β − mean·scale.
void cnz_fold_batchnorm(const float *gamma, const float *beta, const float *mean, const float *var, float eps, int c,
                        float *scale, float *shift);

/// Gathers non-overlapping p×p patches of an NCHW batch [n, cin, h, w] into rows [n·(h/p)·(w/p), cin·p·p] ordered
/// (channel, ky, kx) — a PyTorch conv weight [cout, cin, p, p] is then the GEMM weight as is.
void cnz_patches_nchw(const float *x, float *rows, int n, int cin, int h, int w, int p);

/// Gathers non-overlapping p×p patches of an NHWC batch [n, h, w, c] into rows [n·(h/p)·(w/p), p·p·c] ordered
/// (ky, kx, channel).
void cnz_patches_nhwc(const float *x, float *rows, int n, int h, int w, int c, int p);

/// CRC-32 (zlib / zip) of the longest prefix of `buf` that is a multiple of 16 bytes, by carry-less multiplication
/// (PCLMULQDQ, chosen at run time): continues `*crc` (a finished zlib-style value) over that prefix and returns its
/// length, or returns 0 and leaves `*crc` alone when `len` < 64 or the CPU lacks the instructions. The caller
/// finishes the rest (zlib's `crc32_z`).
size_t cnz_crc32_prefix(uint32_t *crc, const void *buf, size_t len);

/// Converts the first values of `n` little-endian float32 at `src` to IEEE f16 at `dst` (round to nearest even,
/// overflow to ±Inf, NaN kept quiet with its top payload bits) with F16C where the CPU has it; returns how many were
/// converted (a multiple of 8, or 0 without F16C). The caller converts the rest.
size_t cnz_f32_to_f16_prefix(const void *src, void *dst, size_t n);

/// Converts the first values of `n` little-endian f16 at `src` to float32 at `dst` (exact) with F16C where the CPU
/// has it; returns how many were converted (a multiple of 8, or 0 without F16C). The caller converts the rest.
size_t cnz_f16_to_f32_prefix(const void *src, void *dst, size_t n);

#ifdef __cplusplus
}
#endif
#endif
