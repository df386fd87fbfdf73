// The kernels, written once over GCC/clang vector extensions and compiled once per ISA: isa_avx512.c,
// isa_avx2.c and isa_portable.c include this file after defining
//   CNZ_VL      floats per vector (16, 8, 4)
//   CNZ_MR      GEMM rows per register block
//   CNZ_DW_PX   output pixels per depthwise-conv register block
//   CNZ_DW_ROWS2 1 to compute depthwise-conv output rows in pairs (needs 32 vector registers)
//   CNZ_HAS_FMA 1 when the target has fused multiply-add (never emulated: a libm fmaf per lane would be ~20× slower)
//   CNZ_SUFFIX  the name suffix, CNZ_ISA_ID the cnz_isa value
// under a target attribute for their ISA. Everything here is static except the table `cnz_kernels_<suffix>`.
// Nothing here includes a header (the includer does, before its target attribute starts).

#define CNZ_CAT2(a, b) a##_##b
#define CNZ_CAT(a, b) CNZ_CAT2(a, b)
#define FN(name) CNZ_CAT(name, CNZ_SUFFIX)
#define INLINE static inline __attribute__((always_inline))
/// Fully unrolls the next loop (its trip count is a compile-time constant): register blocks must stay in registers.
#if defined(__clang__)
#define UNROLL _Pragma("clang loop unroll(full)")
#else
#define UNROLL _Pragma("GCC unroll 32")
#endif

typedef float vf __attribute__((vector_size(CNZ_VL * 4)));
typedef int32_t vi __attribute__((vector_size(CNZ_VL * 4)));
/// The same vector with 4-byte alignment: loads and stores through it need no alignment.
typedef float vfu __attribute__((vector_size(CNZ_VL * 4), aligned(4), may_alias));

#if CNZ_HAS_FMA && defined(__clang__)
#define FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif

INLINE vf LD(const float *p) { return *(const vfu *)p; }
INLINE void ST(float *p, vf v) { *(vfu *)p = v; }
/// x in every lane (x − (+0) folds to x for every x, −0 included, so this is a plain broadcast).
INLINE vf SPLAT(float x) { return x - (vf){0}; }
INLINE vf SEL(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }
INLINE vf VMAX(vf a, vf b) { return SEL(a > b, a, b); }
INLINE vf VMIN(vf a, vf b) { return SEL(a < b, a, b); }

/// The first `cnt` (1…CNZ_VL) floats at p, zeros after.
INLINE vf LDN(const float *p, int cnt) {
    if (cnt == CNZ_VL) return LD(p);
    float t[CNZ_VL] = {0};
    for (int i = 0; i < cnt; i++) t[i] = p[i];
    return LD(t);
}

/// Stores the first `cnt` lanes of v at p.
INLINE void STN(float *p, vf v, int cnt) {
    if (cnt == CNZ_VL) {
        ST(p, v);
        return;
    }
    float t[CNZ_VL];
    ST(t, v);
    for (int i = 0; i < cnt; i++) p[i] = t[i];
}

INLINE float HSUM(vf v) {
    float t[CNZ_VL];
    ST(t, v);
    float s = 0;
    for (int i = 0; i < CNZ_VL; i++) s += t[i];
    return s;
}

/// 1/x: the ISA's reciprocal estimate (CNZ_RCP, ≥ 12 bits) refined by one Newton step — relative error ≤ 2^-23,
/// a fraction of the cost of a vector division — or a plain division where the ISA has no estimate.
#ifdef CNZ_RCP
INLINE vf VRECIP(vf x) {
    vf r = CNZ_RCP(x);
    return FMA(r, FMA(-x, r, SPLAT(1)), r);
}
#else
INLINE vf VRECIP(vf x) { return 1.0f / x; }
#endif

/// erf: odd degree-13 numerator over even degree-8 denominator on [-4, 4] (Eigen/XLA's float form), abs err ≈ 3.5e-7.
INLINE vf verf(vf x) {
    x = VMIN(VMAX(x, SPLAT(-4.0f)), SPLAT(4.0f));
    vf x2 = x * x;
    vf p = FMA(x2, SPLAT(-2.72614225801306e-10f), SPLAT(2.77068142495902e-08f));
    p = FMA(p, x2, SPLAT(-2.10102402082508e-06f));
    p = FMA(p, x2, SPLAT(-5.69250639462346e-05f));
    p = FMA(p, x2, SPLAT(-7.34990630326855e-04f));
    p = FMA(p, x2, SPLAT(-2.95459980854025e-03f));
    p = FMA(p, x2, SPLAT(-1.60960333262415e-02f));
    p = p * x;
    vf q = FMA(x2, SPLAT(-1.45660718464996e-05f), SPLAT(-2.13374055278905e-04f));
    q = FMA(q, x2, SPLAT(-1.68282697438203e-03f));
    q = FMA(q, x2, SPLAT(-7.37332916720468e-03f));
    q = FMA(q, x2, SPLAT(-1.42647390514189e-02f));
    return p * VRECIP(q);
}

/// e^x: x = n·ln2 + r (n rounded with the 1.5·2^23 trick), degree-6 polynomial (Cephes expf) for e^r, 2^n from
/// exponent bits; inputs clamped to [-87.3, 88.3]. Max relative error ≈ 1.2e-7.
INLINE vf vexp(vf x) {
    x = VMIN(VMAX(x, SPLAT(-87.3f)), SPLAT(88.3f));
    const float magic = 12582912.0f;
    vf t = x * 1.44269504088896341f + magic;
    vf n = t - magic;
    vf r = FMA(n, SPLAT(-0.693359375f), x);
    r = FMA(n, SPLAT(2.12194440e-4f), r);
    vf p = FMA(r, SPLAT(1.9875691500e-4f), SPLAT(1.3981999507e-3f));
    p = FMA(p, r, SPLAT(8.3334519073e-3f));
    p = FMA(p, r, SPLAT(4.1665795894e-2f));
    p = FMA(p, r, SPLAT(1.6666665459e-1f));
    p = FMA(p, r, SPLAT(5.0000001201e-1f));
    vf er = FMA(p, r * r, r) + 1.0f;
    vi bits = (((vi)t - (vi)SPLAT(magic)) + 127) << 23;
    return er * (vf)bits;
}

INLINE vf vgelu_erf(vf x) {
    vf h = x * 0.5f;
    return FMA(h, verf(x * 0.70710678118654752f), h);
}

/// tanh-form GELU as x / (1 + e^(−2u)), which equals 0.5·x·(1 + tanh(u)).
INLINE vf vgelu_tanh(vf x) {
    vf u = FMA(x * x * x, SPLAT(0.044715f), x) * 0.79788456080286536f;
    return x * VRECIP(vexp(u * -2.0f) + 1.0f);
}

INLINE vf vact(vf v, cnz_activation act) {
    switch (act) {
    case CNZ_ACT_RELU: return VMAX(v, SPLAT(0));
    case CNZ_ACT_GELU_ERF: return vgelu_erf(v);
    case CNZ_ACT_GELU_TANH: return vgelu_tanh(v);
    default: return v;
    }
}

/// The epilogue up to (not including) the residual, with its column vectors already loaded (`bv`, `sc`, `sh`: bias,
/// post scale, post shift, each used only where `e` sets it) and activation `act`.
INLINE vf epi_loaded(vf v, const cnz_epilogue *e, vf bv, vf sc, vf sh, cnz_activation act) {
    if (e->bias) v += bv;
    v = vact(v, act);
    if (e->post_scale && e->post_shift) return FMA(v, sc, sh);
    if (e->post_scale) v *= sc;
    if (e->post_shift) v += sh;
    return v;
}

/// The epilogue's column vectors for `cnt` columns starting at column j (zeros / ones where `e` has none).
#define EPI_VECTORS(e, j, cnt)                                                                                         \
    vf bv = (e)->bias ? LDN((e)->bias + (j), cnt) : SPLAT(0);                                                        \
    vf sc = (e)->post_scale ? LDN((e)->post_scale + (j), cnt) : SPLAT(1);                                            \
    vf sh = (e)->post_shift ? LDN((e)->post_shift + (j), cnt) : SPLAT(0)

/// The epilogue up to (not including) the residual, for `cnt` columns starting at column j.
INLINE vf epi(vf v, const cnz_epilogue *e, size_t j, int cnt) {
    EPI_VECTORS(e, j, cnt);
    return epi_loaded(v, e, bv, sc, sh, e->act);
}

static void FN(math)(cnz_math_op op, const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i += CNZ_VL) {
        int cnt = count - i < CNZ_VL ? (int)(count - i) : CNZ_VL;
        vf v = LDN(x + i, cnt);
        switch (op) {
        case CNZ_MATH_ERF: v = verf(v); break;
        case CNZ_MATH_EXP: v = vexp(v); break;
        case CNZ_MATH_GELU_ERF: v = vgelu_erf(v); break;
        case CNZ_MATH_GELU_TANH: v = vgelu_tanh(v); break;
        }
        STN(y + i, v, cnt);
    }
}

static void FN(rows)(const float *x, float *y, int rows, int cols, const cnz_epilogue *e) {
    for (int r = 0; r < rows; r++) {
        size_t o = (size_t)r * cols;
        for (int j = 0; j < cols; j += CNZ_VL) {
            int cnt = cols - j < CNZ_VL ? cols - j : CNZ_VL;
            vf v = epi(LDN(x + o + j, cnt), e, j, cnt);
            if (e->residual) v += LDN(e->residual + o + j, cnt);
            STN(y + o + j, v, cnt);
        }
    }
}

static void FN(layernorm)(const float *x, float *y, int rows, int c, const float *weight, const float *bias,
                          float eps) {
    float inv_c = 1.0f / (float)c;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * c;
        float *yr = y + (size_t)r * c;
        vf acc = SPLAT(0);
        for (int j = 0; j < c; j += CNZ_VL) acc += LDN(xr + j, c - j < CNZ_VL ? c - j : CNZ_VL);
        float mean = HSUM(acc) * inv_c;
        vf m = SPLAT(mean);
        acc = SPLAT(0);
        for (int j = 0; j < c; j += CNZ_VL) {
            int cnt = c - j < CNZ_VL ? c - j : CNZ_VL;
            vf d = LDN(xr + j, cnt) - m;
            if (cnt < CNZ_VL) d = LDN((const float *)&d, cnt);  // padding lanes would add mean²
            acc = FMA(d, d, acc);
        }
        vf s = SPLAT(1.0f / __builtin_sqrtf(HSUM(acc) * inv_c + eps));
        for (int j = 0; j < c; j += CNZ_VL) {
            int cnt = c - j < CNZ_VL ? c - j : CNZ_VL;
            STN(yr + j, FMA((LDN(xr + j, cnt) - m) * s, LDN(weight + j, cnt), LDN(bias + j, cnt)), cnt);
        }
    }
}

static void FN(avgpool)(const float *x, float *out, int n, int hw, int c) {
    float inv = 1.0f / (float)hw;
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * hw * c;
        for (int j = 0; j < c; j += CNZ_VL) {
            int cnt = c - j < CNZ_VL ? c - j : CNZ_VL;
            vf acc = SPLAT(0);
            for (int i = 0; i < hw; i++) acc += LDN(xb + (size_t)i * c + j, cnt);
            STN(out + (size_t)b * c + j, acc * inv, cnt);
        }
    }
}

// ---- GEMM: C = A · Wᵀ with W packed in CNZ_PANEL-column panels; register block R rows × NR columns --------------

#define NR (2 * CNZ_VL)
#ifndef KC
#define KC 768  // measured on Intel Xeon (AVX-512): 256 → 768 is 4–17 % faster where K ≥ 384
#endif
#ifndef MB
#define MB 96
#endif

/// `steps` K steps of an R × NR register block: A(r, q) at a[r·rs + q], the panel from b (row stride CNZ_PANEL).
INLINE void FN(micro_steps)(const float *a, ptrdiff_t rs, const float *b, int steps, vf *acc0, vf *acc1, const int R) {
    for (int q = 0; q < steps; q++) {
        // The panel is read once per row block from L2 (K blocks of 768 steps outgrow L1): fetch 16 steps ahead
        // (3–8 % faster where K ≥ 384 on Intel Xeon; a prefetch past the end never faults).
        __builtin_prefetch(b + (size_t)(q + 16) * CNZ_PANEL);
        __builtin_prefetch(b + (size_t)(q + 16) * CNZ_PANEL + CNZ_VL);
        vf b0 = LD(b + (size_t)q * CNZ_PANEL), b1 = LD(b + (size_t)q * CNZ_PANEL + CNZ_VL);
        UNROLL for (int r = 0; r < R; r++) {
            vf av = SPLAT(a[r * rs + q]);
            acc0[r] = FMA(av, b0, acc0[r]);
            acc1[r] = FMA(av, b1, acc1[r]);
        }
    }
}

/// R rows × NR columns over K steps [k0, k0 + kn) into tile [R][NR]; b walks a panel from step k0. A row-major
/// (row stride rs) or, with BLOCKED, channel-blocked (row stride CNZ_BLOCK, block stride bs): then K runs in
/// chunks inside one block of CNZ_BLOCK columns, and the R broadcasts of a step address one base register.
INLINE void FN(micro)(const float *a, ptrdiff_t rs, ptrdiff_t bs, const float *b, int k0, int kn, float *tile,
                      const int R, const int BLOCKED) {
    vf acc0[CNZ_MR], acc1[CNZ_MR];
    UNROLL for (int r = 0; r < R; r++) acc0[r] = acc1[r] = SPLAT(0);
    if (!BLOCKED) {
        FN(micro_steps)(a + k0, rs, b, kn, acc0, acc1, R);
    } else {
        for (int kb = k0; kb < k0 + kn;) {
            int q0 = kb % CNZ_BLOCK, steps = k0 + kn - kb < CNZ_BLOCK - q0 ? k0 + kn - kb : CNZ_BLOCK - q0;
            FN(micro_steps)(a + (kb / CNZ_BLOCK) * bs + q0, CNZ_BLOCK, b + (size_t)(kb - k0) * CNZ_PANEL, steps, acc0,
                            acc1, R);
            kb += steps;
        }
    }
    UNROLL for (int r = 0; r < R; r++) {
        ST(tile + r * NR, acc0[r]);
        ST(tile + r * NR + CNZ_VL, acc1[r]);
    }
}

/// Offset of element (r, j) in a matrix of layout l.
INLINE size_t FN(at)(cnz_layout l, int r, int j) {
    return (size_t)r * l.row_stride + (size_t)(j / CNZ_BLOCK) * l.block_stride + j % CNZ_BLOCK;
}

/// Rows of one column vector of a finished tile, the activation a compile-time constant: `bv`, `sc`, `sh` are the
/// epilogue's bias, post scale and post shift for these columns (loaded once per tile, used only where set).
INLINE void FN(finish_rows)(const float *tile, float *c, size_t o, ptrdiff_t rs, int nrows, int h, int cnt,
                            int accumulate, const cnz_epilogue *e, vf bv, vf sc, vf sh, const cnz_activation ACT) {
    for (int r = 0; r < nrows; r++, o += rs) {
        vf v = LD(tile + r * NR + h);
        if (accumulate) v += LDN(c + o, cnt);
        v = epi_loaded(v, e, bv, sc, sh, ACT);
        if (e->residual) {
            STN(e->residual + o, LDN(e->residual + o, cnt) + v, cnt);
        } else {
            STN(c + o, v, cnt);
        }
    }
}

/// Writes a finished tile: adds what earlier K blocks left in C, then stores raw sums (not the last K block) or
/// applies the epilogue. `row` is the tile's first row (for the residual, laid out like C), `col` its first column
/// (column vectors start at multiples of CNZ_VL, which divides CNZ_BLOCK: each lies in one channel block, its rows
/// row_stride apart).
static void FN(finish)(const float *tile, float *c, cnz_layout lc, int row, int nrows, int col, int ncols,
                       int accumulate, int last, const cnz_epilogue *e) {
    for (int h = 0; h < NR; h += CNZ_VL) {
        int cnt = ncols - h < CNZ_VL ? ncols - h : CNZ_VL;
        if (cnt <= 0) break;
        size_t o = FN(at)(lc, row, col + h);
        if (!last) {
            for (int r = 0; r < nrows; r++, o += lc.row_stride) {
                vf v = LD(tile + r * NR + h);
                if (accumulate) v += LDN(c + o, cnt);
                STN(c + o, v, cnt);
            }
            continue;
        }
        EPI_VECTORS(e, col + h, cnt);
        switch (e->act) {
        case CNZ_ACT_RELU:
            FN(finish_rows)(tile, c, o, lc.row_stride, nrows, h, cnt, accumulate, e, bv, sc, sh, CNZ_ACT_RELU);
            break;
        case CNZ_ACT_GELU_ERF:
            FN(finish_rows)(tile, c, o, lc.row_stride, nrows, h, cnt, accumulate, e, bv, sc, sh, CNZ_ACT_GELU_ERF);
            break;
        case CNZ_ACT_GELU_TANH:
            FN(finish_rows)(tile, c, o, lc.row_stride, nrows, h, cnt, accumulate, e, bv, sc, sh, CNZ_ACT_GELU_TANH);
            break;
        default:
            FN(finish_rows)(tile, c, o, lc.row_stride, nrows, h, cnt, accumulate, e, bv, sc, sh, CNZ_ACT_NONE);
        }
    }
}

/// Row blocks of MB rows × the panels, every register block of one row block reading the same A rows (L2) and
/// each panel slice once per row block. BLOCKED: A is channel-blocked (see `micro`).
INLINE void FN(gemm_blocks)(const float *a, cnz_layout la, const float *packed, float *c, cnz_layout lc, int rows,
                            int n, int k, int p_begin, int p_end, const cnz_epilogue *e, const int BLOCKED) {
    float tile[CNZ_MR * NR] __attribute__((aligned(64)));
    ptrdiff_t rs = BLOCKED ? CNZ_BLOCK : la.row_stride;
    // K in equal blocks of at most KC steps (1536 → 2 × 768; 1000 → 2 × 500, not 768 + 232).
    int kblocks = (k + KC - 1) / KC, kc = (k + kblocks - 1) / kblocks;
    for (int k0 = 0; k0 < k; k0 += kc) {
        int kn = k - k0 < kc ? k - k0 : kc;
        int accumulate = k0 > 0, last = k0 + kn >= k;
        for (int i0 = 0; i0 < rows; i0 += MB) {
            int i_end = rows - i0 < MB ? rows : i0 + MB;
            for (int p = p_begin; p < p_end; p++) {
                for (int sub = 0; sub < CNZ_PANEL; sub += NR) {
                    int col = p * CNZ_PANEL + sub;
                    if (col >= n) break;
                    int ncols = n - col < NR ? n - col : NR;
                    const float *b = packed + (size_t)p * k * CNZ_PANEL + (size_t)k0 * CNZ_PANEL + sub;
                    int i = i0;
                    for (; i + CNZ_MR <= i_end; i += CNZ_MR) {
                        FN(micro)(a + (size_t)i * rs, rs, la.block_stride, b, k0, kn, tile, CNZ_MR, BLOCKED);
                        FN(finish)(tile, c, lc, i, CNZ_MR, col, ncols, accumulate, last, e);
                    }
                    for (; i + 4 <= i_end; i += 4) {
                        FN(micro)(a + (size_t)i * rs, rs, la.block_stride, b, k0, kn, tile, 4, BLOCKED);
                        FN(finish)(tile, c, lc, i, 4, col, ncols, accumulate, last, e);
                    }
                    for (; i < i_end; i++) {
                        FN(micro)(a + (size_t)i * rs, rs, la.block_stride, b, k0, kn, tile, 1, BLOCKED);
                        FN(finish)(tile, c, lc, i, 1, col, ncols, accumulate, last, e);
                    }
                }
            }
        }
    }
}

static void FN(gemm)(const float *a, cnz_layout la, const float *packed, float *c, cnz_layout lc, int rows, int n,
                     int k, int p_begin, int p_end, const cnz_epilogue *e) {
    if (la.row_stride == CNZ_BLOCK && la.block_stride != CNZ_BLOCK) {
        FN(gemm_blocks)(a, la, packed, c, lc, rows, n, k, p_begin, p_end, e, 1);
    } else {
        FN(gemm_blocks)(a, la, packed, c, lc, rows, n, k, p_begin, p_end, e, 0);
    }
}

// ---- Depthwise convolution ----------------------------------------------------------------------------------------

/// Any k, any channel count: `cnt` channels from ch of pixel (y, x), bounds tested per tap (borders of unusual k and
/// channel tails only).
INLINE vf FN(dw_pixel)(const float *in, int h, int w, int c, int k, const float *wt, int y, int x, int ch, int cnt) {
    int p = k / 2;
    vf acc = SPLAT(0);
    for (int ky = 0; ky < k; ky++) {
        int iy = y + ky - p;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < k; kx++) {
            int ix = x + kx - p;
            if (ix < 0 || ix >= w) continue;
            acc = FMA(LDN(in + ((size_t)iy * w + ix) * c + ch, cnt), LDN(wt + (size_t)(ky * k + kx) * c + ch, cnt), acc);
        }
    }
    return acc;
}

/// Stores one finished output vector: the epilogue without the bias (already in the sum), then the residual.
INLINE void FN(dw_store)(float *out, size_t o, vf v, const cnz_epilogue *post, int ch, int cnt) {
    v = epi(v, post, ch, cnt);
    if (post->residual) v += LDN(post->residual + o, cnt);
    STN(out + o, v, cnt);
}

/// Channels [ch0, c) of output row y, one pixel at a time (any k): the channel tail of the register-blocked rows, and
/// whole rows for kernel sizes without a specialised path.
static void FN(dw_pixels_row)(const float *in, float *out, int h, int w, int c, int k, const float *wt, int y,
                              int ch0, const cnz_epilogue *e, const cnz_epilogue *post) {
    for (int ch = ch0; ch < c; ch += CNZ_VL) {
        int cnt = c - ch < CNZ_VL ? c - ch : CNZ_VL;
        vf b = e->bias ? LDN(e->bias + ch, cnt) : SPLAT(0);
        for (int x = 0; x < w; x++) {
            vf v = b + FN(dw_pixel)(in, h, w, c, k, wt, y, x, ch, cnt);
            FN(dw_store)(out, ((size_t)y * w + x) * c + ch, v, post, ch, cnt);
        }
    }
}

/// One output row for a compile-time K ≤ 9: CNZ_DW_PX pixels × one vector of channels per register block. The
/// K + PX − 1 input vectors of a row are loaded once (zero outside the image) and shared by all taps and pixels.
INLINE void FN(dw_row)(const float *in, float *out, int h, int w, int c, const int K, const float *wt, int y,
                       const cnz_epilogue *e, const cnz_epilogue *post) {
    const int p = K / 2;
    int ky_lo = y < p ? p - y : 0, ky_hi = y + p >= h ? h - y + p : K;
    int cv = c / CNZ_VL * CNZ_VL;
    for (int ch = 0; ch < cv; ch += CNZ_VL) {
        vf b = e->bias ? LD(e->bias + ch) : SPLAT(0);
        for (int x = 0; x < w; x += CNZ_DW_PX) {
            vf acc[CNZ_DW_PX];
            UNROLL for (int i = 0; i < CNZ_DW_PX; i++) acc[i] = b;
            for (int ky = ky_lo; ky < ky_hi; ky++) {
                const float *row = in + (size_t)(y + ky - p) * w * c + ch;
                const float *wrow = wt + (size_t)ky * K * c + ch;
                vf vin[CNZ_DW_PX + 8];
                UNROLL for (int j = 0; j < CNZ_DW_PX + K - 1; j++) {
                    int col = x - p + j;
                    vin[j] = col >= 0 && col < w ? LD(row + (size_t)col * c) : SPLAT(0);
                }
                UNROLL for (int kx = 0; kx < K; kx++) {
                    vf wv = LD(wrow + (size_t)kx * c);
                    UNROLL for (int i = 0; i < CNZ_DW_PX; i++) acc[i] = FMA(vin[i + kx], wv, acc[i]);
                }
            }
            int np = w - x < CNZ_DW_PX ? w - x : CNZ_DW_PX;
            for (int i = 0; i < np; i++) FN(dw_store)(out, ((size_t)y * w + x + i) * c + ch, acc[i], post, ch, CNZ_VL);
        }
    }
    FN(dw_pixels_row)(in, out, h, w, c, K, wt, y, cv, e, post);
}

#if CNZ_DW_ROWS2
/// Output rows y and y + 1 for a compile-time K ≤ 7: each of the K + 1 input rows they read is loaded once for
/// both (about half the loads of two `dw_row` calls). CNZ_DW_PX pixels × one vector of channels × 2 rows per
/// register block, so accumulators and inputs fit in 32 registers (for K = 9 they would not; pairs of 4-pixel blocks
/// measured no faster than single rows, so 9×9 runs row by row).
INLINE void FN(dw_rows2)(const float *in, float *out, int h, int w, int c, const int K, const float *wt, int y,
                         const cnz_epilogue *e, const cnz_epilogue *post) {
    const int p = K / 2;
    const int PX = CNZ_DW_PX;
    int cv = c / CNZ_VL * CNZ_VL;
    for (int ch = 0; ch < cv; ch += CNZ_VL) {
        vf b = e->bias ? LD(e->bias + ch) : SPLAT(0);
        for (int x = 0; x < w; x += PX) {
            vf acc0[CNZ_DW_PX], acc1[CNZ_DW_PX];
            UNROLL for (int i = 0; i < PX; i++) acc0[i] = acc1[i] = b;
            for (int r = 0; r <= K; r++) {  // input row y − p + r: tap r of output row y, tap r − 1 of row y + 1
                int iy = y - p + r;
                if (iy < 0 || iy >= h) continue;
                const float *row = in + (size_t)iy * w * c + ch;
                vf vin[CNZ_DW_PX + 8];
                UNROLL for (int j = 0; j < PX + K - 1; j++) {
                    int col = x - p + j;
                    vin[j] = col >= 0 && col < w ? LD(row + (size_t)col * c) : SPLAT(0);
                }
                if (r < K) {
                    const float *wrow = wt + (size_t)r * K * c + ch;
                    UNROLL for (int kx = 0; kx < K; kx++) {
                        vf wv = LD(wrow + (size_t)kx * c);
                        UNROLL for (int i = 0; i < PX; i++) acc0[i] = FMA(vin[i + kx], wv, acc0[i]);
                    }
                }
                if (r > 0) {
                    const float *wrow = wt + (size_t)(r - 1) * K * c + ch;
                    UNROLL for (int kx = 0; kx < K; kx++) {
                        vf wv = LD(wrow + (size_t)kx * c);
                        UNROLL for (int i = 0; i < PX; i++) acc1[i] = FMA(vin[i + kx], wv, acc1[i]);
                    }
                }
            }
            int np = w - x < PX ? w - x : PX;
            for (int i = 0; i < np; i++) {
                FN(dw_store)(out, ((size_t)y * w + x + i) * c + ch, acc0[i], post, ch, CNZ_VL);
                FN(dw_store)(out, ((size_t)(y + 1) * w + x + i) * c + ch, acc1[i], post, ch, CNZ_VL);
            }
        }
    }
    FN(dw_pixels_row)(in, out, h, w, c, K, wt, y, cv, e, post);  // channel tail, one row at a time
    FN(dw_pixels_row)(in, out, h, w, c, K, wt, y + 1, cv, e, post);
}
#endif

static void FN(dwconv)(const float *in, float *out, int h, int w, int c, int k, const float *wt, int y_begin,
                       int y_end, const cnz_epilogue *e) {
    cnz_epilogue post = *e;
    post.bias = 0;
    int y = y_begin;
#if CNZ_DW_ROWS2
    if (k == 3 || k == 5 || k == 7) {  // two rows at a time while two remain
        for (; y + 1 < y_end; y += 2) {
            switch (k) {
            case 3: FN(dw_rows2)(in, out, h, w, c, 3, wt, y, e, &post); break;
            case 5: FN(dw_rows2)(in, out, h, w, c, 5, wt, y, e, &post); break;
            default: FN(dw_rows2)(in, out, h, w, c, 7, wt, y, e, &post); break;
            }
        }
    }
#endif
    for (; y < y_end; y++) {
        switch (k) {
        case 3: FN(dw_row)(in, out, h, w, c, 3, wt, y, e, &post); break;
        case 5: FN(dw_row)(in, out, h, w, c, 5, wt, y, e, &post); break;
        case 7: FN(dw_row)(in, out, h, w, c, 7, wt, y, e, &post); break;
        case 9: FN(dw_row)(in, out, h, w, c, 9, wt, y, e, &post); break;
        default: FN(dw_pixels_row)(in, out, h, w, c, k, wt, y, 0, e, &post);
        }
    }
}

const cnz_kernels FN(cnz_kernels) = {
    CNZ_ISA_ID, FN(gemm), FN(dwconv), FN(layernorm), FN(rows), FN(avgpool), FN(math),
};
