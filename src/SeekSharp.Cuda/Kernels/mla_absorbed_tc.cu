// Absorbed (MQA-form) MLA on tensor cores: the fast path of IComputeDevice.MlaAbsorbed (MlaLauncher picks it when
// the shape fits; mla_attention.cu's mla_absorbed is the general fallback). Per query token t and head h:
//
//   qa = bf16(W_UK[h]^T q_nope)                                (mla_abs_gemm, + mla_abs_qpe for the rope tail)
//   s_j = (qa . latent_j + q_pe . k_pe_j) * scale               (mla_abs_qk: fp32 scores + per-split max/sum)
//   p_j = bf16(exp(s_j - max) / sum)  with the GLOBAL max/sum   (mla_abs_pv: combines the splits' max/sum first)
//   o_lat = bf16(sum_j p_j latent_j)                            (mla_abs_pv partial sums per split, summed in the next)
//   out[t, h, :] = bf16(W_UV[h] o_lat)                          (mla_abs_gemm)
//
// Every operand is bf16-representable (the F32 buffers hold bf16 values; p, qa and o_lat are rounded to bf16 by
// definition), so mma.sync m16n8k16 bf16 x bf16 -> fp32 forms each product exactly; only the fp32 summation order
// differs from the C# reference. Keys are first copied as bf16 rows kc [rows, kw] = latent | k_pe | zeros (kw =
// lora + rope rounded up to 16): either the whole cache (rows = key positions) or, when few queries select few
// keys, just the selected rows (rows = t * width + j).
//
// mma.sync.m16n8k16 fragments (g = lane / 4, c = lane % 4; two bf16 per 32-bit register, lower index in the low half):
//   A 16x16 row-major: a0 (g, 2c..2c+1), a1 (g+8, 2c..), a2 (g, 2c+8..), a3 (g+8, 2c+8..)
//   B 16x8 (k x n):    b0 (k = 2c..2c+1, n = g), b1 (k = 2c+8.., n = g)
//   C 16x8 fp32:       c0,c1 (g, 2c..2c+1), c2,c3 (g+8, 2c..2c+1)
// ldmatrix.x4 loads four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i. Every shared row
// stride below is 16 bytes more than a multiple of 128, so the 8 rows of one matrix fall in distinct bank groups.

#define MTC_THREADS 256
#define MTC_TILE 32          // key slots per tile (QK and PV)
#define MTC_QK_HEADS 128     // heads per mla_abs_qk block: 8 warps x 16
#define MTC_PV_HEADS 64      // heads per mla_abs_pv block: 2 warp rows x 32
#define MTC_MAX_KW 576       // kw = lora + rope rounded up to 16
#define MTC_MAX_LORA 512     // lora multiple of 64
#define MTC_PSTRIDE (MTC_TILE + 8)

// ---- PTX helpers (sm_80+) -------------------------------------------------------------------------------------

static __device__ __forceinline__ u32 mtc_smem(const void* p)
{
    u32 r;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(r) : "l"(p));
    return r;
}

static __device__ __forceinline__ void mtc_ldsm4(u32 addr, u32& r0, u32& r1, u32& r2, u32& r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

static __device__ __forceinline__ void mtc_ldsm4_t(u32 addr, u32& r0, u32& r1, u32& r2, u32& r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

// d += a (16x16 bf16) * b (16x8 bf16), fp32 accumulation
static __device__ __forceinline__ void mtc_mma(float* d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// 16 bytes global -> shared, asynchronously; bytes = 0 writes zeros (src must still be a valid address)
static __device__ __forceinline__ void mtc_cp16(u32 dst, const void* src, int bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(dst), "l"(src), "r"(bytes));
}
static __device__ __forceinline__ void mtc_commit() { asm volatile("cp.async.commit_group;"); }
static __device__ __forceinline__ void mtc_wait_all() { asm volatile("cp.async.wait_group 0;" ::: "memory"); }
static __device__ __forceinline__ void mtc_wait_one() { asm volatile("cp.async.wait_group 1;" ::: "memory"); }

static __device__ __forceinline__ u32 mtc_pack(float lo, float hi) { return (u32)bf16_bits(lo) | ((u32)bf16_bits(hi) << 16); }

// Running (max, sum of exp(s - max)) updated with one score; -inf scores (unused slots) add nothing.
static __device__ __forceinline__ void mtc_online(float& m, float& l, float s)
{
    if (s > m)
    {
        l = m == SS_NEG_INF ? 0.0f : l * expf(m - s);
        m = s;
    }
    if (s != SS_NEG_INF) l += expf(s - m);
}

// Merges (m2, l2) into (m, l).
static __device__ __forceinline__ void mtc_merge(float& m, float& l, float m2, float l2)
{
    const float mx = fmaxf(m, m2);
    if (mx == SS_NEG_INF) return;   // both empty
    l = (m == SS_NEG_INF ? 0.0f : l * expf(m - mx)) + (m2 == SS_NEG_INF ? 0.0f : l2 * expf(m2 - mx));
    m = mx;
}

// Slot j of a query: used iff j < count and (no indices, or indices[j] >= 0).
static __device__ __forceinline__ bool mtc_used(const int* __restrict__ idxRow, int count, int j)
{
    return j < count && (idxRow == nullptr || __ldg(idxRow + j) >= 0);
}

// Key slots [j0, j0 + 32) of one query into tile [32][stride] (bf16): the first `cols` (multiple of 8) columns of
// their kc rows; unused slots become zero rows. Row of slot j: gbase + j (gathered rows) or its key position.
static __device__ __forceinline__ void mtc_load_keys(u16* tile, int stride, const u16* __restrict__ kc, int kw, int cols,
    const int* __restrict__ idxRow, int count, long long gbase, int j0, int tid)
{
    const int per = cols >> 3;   // 16-byte pieces per row
    for (int e = tid; e < MTC_TILE * per; e += MTC_THREADS)
    {
        const int r = e / per, piece = e - r * per, j = j0 + r;
        const bool used = mtc_used(idxRow, count, j);
        long long row = 0;
        if (used) row = gbase >= 0 ? gbase + j : (idxRow != nullptr ? __ldg(idxRow + j) : j);
        mtc_cp16(mtc_smem(tile + r * stride + piece * 8), kc + row * kw + piece * 8, used ? 16 : 0);
    }
    mtc_commit();
}

// ------------------------------------------------------------------------------------------------------------
// kc rows. grid (rows), block 64. gathered (indices != null): row r = t * width + j copies key position indices[r]
// (< 0: zeros); else row r copies position r. kc [rows, kw] bf16 bits = latent | k_pe | zeros.
// ------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(64)
mla_abs_keys(const float* __restrict__ latent, const float* __restrict__ ropeKeys, const int* __restrict__ indices,
             u16* __restrict__ kc, int lora, int rope, int kw)
{
    const long long r = blockIdx.x;
    const int src = indices != nullptr ? __ldg(indices + r) : (int)r;
    u16* const dst = kc + r * kw;
    for (int c = threadIdx.x; c < kw; c += 64)
    {
        float x = 0.0f;
        if (src >= 0)
        {
            if (c < lora) x = __ldg(latent + (long long)src * lora + c);
            else if (c < lora + rope) x = __ldg(ropeKeys + (long long)src * rope + (c - lora));
        }
        dst[c] = bf16_bits(x);
    }
}

// qa[t, h, lora..kw) = bf16(q_pe) then zeros; q [T, heads, nope + rope], qa [T, heads, kw]. grid ceil(T*heads*(kw-lora)/256).
extern "C" __global__ void __launch_bounds__(256)
mla_abs_qpe(const float* __restrict__ q, u16* __restrict__ qa, long long rows, int nope, int rope, int lora, int kw)
{
    const int tail = kw - lora;
    const long long e = (long long)blockIdx.x * 256 + threadIdx.x;
    if (e >= rows * tail) return;
    const long long row = e / tail;
    const int c = (int)(e - row * tail);
    const float x = c < rope ? q[row * (nope + rope) + nope + c] : 0.0f;
    qa[row * kw + lora + c] = bf16_bits(x);
}

// ------------------------------------------------------------------------------------------------------------
// Head-batched GEMM for the two absorbed projections. Head h = blockIdx.y, row tile blockIdx.z (64 rows m),
// column tile blockIdx.x (64 columns n):
//   C[m][n] = bf16( sum_k A[m][k] * B[n][k] ),  A[m][k] = bf16( sum_{s < aSplits} a[m*aRow + h*aHead + s*aSplit + k] ),
//   B[n][k] = b[h*bHead + (bKN ? k*ldb + n : n*ldb + k)];  C at c[m*cRow + h*cHead + n], bf16 bits (cBits) or fp32.
// q-absorb: A = q_nope, B = W_UK[h] stored [k = d][n = c] (bKN), C = qa bits.
// output:   A = the PV splits' partial o_lat (summed, rounded), B = W_UV[h] stored [n = d][k = c], C = output.
// block 256: warp (wm = warp % 4, wn = warp / 4) owns rows 16wm.., columns 32wn.. (4 n-tiles). K in chunks of 64.
// ------------------------------------------------------------------------------------------------------------
#define MTC_G 64
#define MTC_GS (MTC_G + 8)

extern "C" __global__ void __launch_bounds__(MTC_THREADS)
mla_abs_gemm(const float* __restrict__ a, long long aRow, long long aHead, int aSplits, long long aSplit,
             const float* __restrict__ b, long long bHead, int bKN, int ldb,
             void* __restrict__ c, long long cRow, long long cHead, int cBits, int M, int N, int K)
{
    __shared__ __align__(16) u16 As[MTC_G * MTC_GS];   // [m][k]
    __shared__ __align__(16) u16 Bs[MTC_G * MTC_GS];   // [n][k]
    const int h = blockIdx.y, m0 = blockIdx.z * MTC_G, n0 = blockIdx.x * MTC_G;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp & 3, wn = warp >> 2;
    const float* const ah = a + (long long)h * aHead;
    const float* const bh = b + (long long)h * bHead;

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int k = 0; k < 4; k++) acc[i][k] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += MTC_G)
    {
        // A chunk [64 m][64 k]: a warp reads 32 consecutive k of one row
        for (int e = tid; e < MTC_G * MTC_G; e += MTC_THREADS)
        {
            const int r = e >> 6, k = e & 63;
            float x = 0.0f;
            if (m0 + r < M && k0 + k < K)
            {
                const float* const p = ah + (long long)(m0 + r) * aRow + k0 + k;
                for (int s = 0; s < aSplits; s++) x += __ldg(p + (long long)s * aSplit);
            }
            As[r * MTC_GS + k] = bf16_bits(x);
        }
        // B chunk as [64 n][64 k], read along whichever index is contiguous in memory
        for (int e = tid; e < MTC_G * MTC_G; e += MTC_THREADS)
        {
            const int hi = e >> 6, lo = e & 63;
            const int n = bKN ? lo : hi, k = bKN ? hi : lo;
            float x = 0.0f;
            if (n0 + n < N && k0 + k < K)
                x = __ldg(bh + (bKN ? (long long)(k0 + k) * ldb + n0 + n : (long long)(n0 + n) * ldb + k0 + k));
            Bs[n * MTC_GS + k] = bf16_bits(x);
        }
        __syncthreads();
#pragma unroll
        for (int ks = 0; ks < MTC_G / 16; ks++)
        {
            u32 a0, a1, a2, a3;
            // A: matrices (rows +0/+8) x (k +0/+8) in the order a0..a3
            mtc_ldsm4(mtc_smem(As + (16 * wm + (lane & 7) + ((lane >> 3) & 1) * 8) * MTC_GS + 16 * ks + (lane >> 4) * 8),
                      a0, a1, a2, a3);
#pragma unroll
            for (int p = 0; p < 2; p++)
            {
                u32 b0, b1, b2, b3;
                // B (stored [n][k]): matrices (n +0, k +0), (n +0, k +8), (n +8, k +0), (n +8, k +8)
                mtc_ldsm4(mtc_smem(Bs + (32 * wn + 16 * p + (lane & 7) + (lane >> 4) * 8) * MTC_GS + 16 * ks + ((lane >> 3) & 1) * 8),
                          b0, b1, b2, b3);
                mtc_mma(acc[2 * p], a0, a1, a2, a3, b0, b1);
                mtc_mma(acc[2 * p + 1], a0, a1, a2, a3, b2, b3);
            }
        }
        __syncthreads();
    }

    const int g = lane >> 2, tc = lane & 3;
#pragma unroll
    for (int nt = 0; nt < 4; nt++)
#pragma unroll
        for (int half = 0; half < 2; half++)
        {
            const int m = m0 + 16 * wm + g + 8 * half;
            const int n = n0 + 32 * wn + 8 * nt + 2 * tc;
            if (m >= M) continue;
            const long long at = (long long)m * cRow + (long long)h * cHead + n;
#pragma unroll
            for (int q = 0; q < 2; q++)
            {
                if (n + q >= N) continue;
                const float v = acc[nt][2 * half + q];
                if (cBits) reinterpret_cast<u16*>(c)[at + q] = bf16_bits(v);
                else reinterpret_cast<float*>(c)[at + q] = bf16_round(v);
            }
        }
}

// ------------------------------------------------------------------------------------------------------------
// Scores. grid (ceil(heads / 128), splits, T), block 256, dynamic shared 2 * 32 * (kw + 8) bf16 (two key tiles).
// Block (head group, split, t) scores key slots [split * splitSlots, +splitSlots) intersected with [0, slotsPad) for 128 heads:
// scores[t, h, j] = s_j (fp32; -inf for unused slots) and stats[t, split, h] = (max, sum of exp(s - max)) over them.
// Warp w owns heads 16w..16w+15: their qa fragments (kw/16 k-steps x 4 registers) stay in registers; key tiles
// stream through shared memory with cp.async, double-buffered.
// qa [T, heads, kw] bf16 bits; kc [rows, kw]; indices [T, width] or null; scores [T, heads, slotsPad]; stats [T, splits, heads, 2].
// ------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 1)
mla_abs_qk(const u16* __restrict__ qa, const u16* __restrict__ kc, const int* __restrict__ indices,
           float* __restrict__ scores, float* __restrict__ stats,
           int indexWidth, int startPos, int gathered, int heads, int kw, int slotsPad, int splitSlots, float scale)
{
    extern __shared__ float4 mtc_dyn[];
    u16* const tiles = reinterpret_cast<u16*>(mtc_dyn);
    const int stride = kw + 8;
    const int t = blockIdx.z, split = blockIdx.y, splits = gridDim.y;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, tc = lane & 3;
    const int hA = blockIdx.x * MTC_QK_HEADS + warp * 16 + g, hB = hA + 8;   // this lane's two heads
    const bool okA = hA < heads, okB = hB < heads;
    const int* const idxRow = indices != nullptr ? indices + (long long)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : startPos + t + 1;
    const long long gbase = gathered ? (long long)t * indexWidth : -1;
    const int j0 = split * splitSlots, j1 = min(j0 + splitSlots, slotsPad);
    const int nks = kw >> 4;

    // qa fragments: row hA -> a0/a2, row hB -> a1/a3; u32 column 8ks + tc = bf16 columns 16ks + 2tc, +1 (+8 for a2/a3)
    u32 fa[MTC_MAX_KW / 16][4];
    const u32* const rowA = reinterpret_cast<const u32*>(qa + ((long long)t * heads + (okA ? hA : 0)) * kw);
    const u32* const rowB = reinterpret_cast<const u32*>(qa + ((long long)t * heads + (okB ? hB : 0)) * kw);
#pragma unroll
    for (int ks = 0; ks < MTC_MAX_KW / 16; ks++)
    {
        if (ks < nks)
        {
            fa[ks][0] = okA ? __ldg(rowA + 8 * ks + tc) : 0u;
            fa[ks][1] = okB ? __ldg(rowB + 8 * ks + tc) : 0u;
            fa[ks][2] = okA ? __ldg(rowA + 8 * ks + tc + 4) : 0u;
            fa[ks][3] = okB ? __ldg(rowB + 8 * ks + tc + 4) : 0u;
        }
    }

    float mA = SS_NEG_INF, lA = 0.0f, mB = SS_NEG_INF, lB = 0.0f;
    const int ntiles = j1 > j0 ? (j1 - j0) / MTC_TILE : 0;
    if (ntiles > 0) mtc_load_keys(tiles, stride, kc, kw, kw, idxRow, count, gbase, j0, tid);
    float* const srowA = scores + ((long long)t * heads + hA) * slotsPad;
    float* const srowB = scores + ((long long)t * heads + hB) * slotsPad;
    // this lane's ldmatrix row in a tile: key (lane & 7) + 8 (lane >= 16), column +8 for lanes 8..15 and 24..31
    const int keyOff = (lane & 7) + (lane >> 4) * 8, colOff = ((lane >> 3) & 1) * 8;

    for (int it = 0; it < ntiles; it++)
    {
        const int jt = j0 + it * MTC_TILE;
        if (it + 1 < ntiles)
        {
            mtc_load_keys(tiles + ((it + 1) & 1) * MTC_TILE * stride, stride, kc, kw, kw, idxRow, count, gbase, jt + MTC_TILE, tid);
            mtc_wait_one();
        }
        else mtc_wait_all();
        __syncthreads();
        const u16* const tile = tiles + (it & 1) * MTC_TILE * stride;

        float acc[4][4];
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int k = 0; k < 4; k++) acc[i][k] = 0.0f;
#pragma unroll
        for (int ks = 0; ks < MTC_MAX_KW / 16; ks++)
        {
            if (ks < nks)
            {
#pragma unroll
                for (int p = 0; p < 2; p++)
                {
                    u32 b0, b1, b2, b3;   // keys 16p..16p+7 -> (b0, b1), keys 16p+8.. -> (b2, b3)
                    mtc_ldsm4(mtc_smem(tile + (16 * p + keyOff) * stride + 16 * ks + colOff), b0, b1, b2, b3);
                    mtc_mma(acc[2 * p], fa[ks][0], fa[ks][1], fa[ks][2], fa[ks][3], b0, b1);
                    mtc_mma(acc[2 * p + 1], fa[ks][0], fa[ks][1], fa[ks][2], fa[ks][3], b2, b3);
                }
            }
        }
        __syncthreads();   // the tile's buffer may be refilled from the next iteration on

#pragma unroll
        for (int nt = 0; nt < 4; nt++)
        {
            const int j = jt + 8 * nt + 2 * tc;
            const bool u0 = mtc_used(idxRow, count, j), u1 = mtc_used(idxRow, count, j + 1);
            const float a0 = u0 ? acc[nt][0] * scale : SS_NEG_INF, a1 = u1 ? acc[nt][1] * scale : SS_NEG_INF;
            const float b0 = u0 ? acc[nt][2] * scale : SS_NEG_INF, b1 = u1 ? acc[nt][3] * scale : SS_NEG_INF;
            if (okA) *reinterpret_cast<float2*>(srowA + j) = make_float2(a0, a1);
            if (okB) *reinterpret_cast<float2*>(srowB + j) = make_float2(b0, b1);
            mtc_online(mA, lA, a0);
            mtc_online(mA, lA, a1);
            mtc_online(mB, lB, b0);
            mtc_online(mB, lB, b1);
        }
    }

    // the 4 lanes of a row group hold disjoint slots of the same two heads
#pragma unroll
    for (int off = 1; off < 4; off <<= 1)
    {
        const float m2 = __shfl_xor_sync(0xFFFFFFFFu, mA, off), l2 = __shfl_xor_sync(0xFFFFFFFFu, lA, off);
        const float m3 = __shfl_xor_sync(0xFFFFFFFFu, mB, off), l3 = __shfl_xor_sync(0xFFFFFFFFu, lB, off);
        mtc_merge(mA, lA, m2, l2);
        mtc_merge(mB, lB, m3, l3);
    }
    if (tc == 0)
    {
        float* const st = stats + ((long long)t * splits + split) * heads * 2;
        if (okA) { st[2 * hA] = mA; st[2 * hA + 1] = lA; }
        if (okB) { st[2 * hB] = mB; st[2 * hB + 1] = lB; }
    }
}

// ------------------------------------------------------------------------------------------------------------
// Weighted sums. grid (ceil(heads / 64), splits, T), block 256, dynamic shared: two key tiles [32][lora + 8] bf16 |
// P [64][40] bf16 | max [64] | sum [64] floats.
// Block (head group, split, t) first merges the QK splits' (max, sum) into the global ones, then for its key slots
// p = bf16(exp(s - max) / sum) (0 for unused slots) and opart[t, split, h, :] = sum_j p_j latent_j (fp32).
// Warp (wm = warp % 2, wn = warp / 2) owns heads 32wm.. (2 m-tiles) x latent columns wn * lora/4.. (lora/32 n-tiles).
// ------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 1)
mla_abs_pv(const u16* __restrict__ kc, const int* __restrict__ indices, const float* __restrict__ scores,
           const float* __restrict__ stats, float* __restrict__ opart,
           int indexWidth, int startPos, int gathered, int heads, int kw, int lora, int slotsPad, int statSplits, int splitSlots)
{
    extern __shared__ float4 mtc_dyn[];
    const int stride = lora + 8;
    u16* const tiles = reinterpret_cast<u16*>(mtc_dyn);
    u16* const ps = tiles + 2 * MTC_TILE * stride;                                   // [64][40]
    float* const gmax = reinterpret_cast<float*>(ps + MTC_PV_HEADS * MTC_PSTRIDE);    // [64]
    float* const gsum = gmax + MTC_PV_HEADS;                                          // [64]

    const int t = blockIdx.z, split = blockIdx.y, splits = gridDim.y, hb = blockIdx.x * MTC_PV_HEADS;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp & 1, wn = warp >> 1;
    const int* const idxRow = indices != nullptr ? indices + (long long)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : startPos + t + 1;
    const long long gbase = gathered ? (long long)t * indexWidth : -1;
    const int j0 = split * splitSlots, j1 = min(j0 + splitSlots, slotsPad);
    const int ntiles = j1 > j0 ? (j1 - j0) / MTC_TILE : 0;
    const int ntw = lora >> 5;              // n-tiles per warp (even: lora % 64 == 0)
    const int nBase = wn * (lora >> 2);     // first latent column of this warp

    if (ntiles > 0) mtc_load_keys(tiles, stride, kc, kw, lora, idxRow, count, gbase, j0, tid);

    // global (max, sum) of each head: merge of the QK splits in split order
    if (tid < MTC_PV_HEADS)
    {
        float m = SS_NEG_INF, l = 0.0f;
        const int h = hb + tid;
        if (h < heads)
            for (int s = 0; s < statSplits; s++)
            {
                const float* const st = stats + (((long long)t * statSplits + s) * heads + h) * 2;
                mtc_merge(m, l, st[0], st[1]);
            }
        gmax[tid] = m;
        gsum[tid] = l;
    }
    __syncthreads();

    float acc[2][MTC_MAX_LORA / 32][4];
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int nt = 0; nt < MTC_MAX_LORA / 32; nt++)
#pragma unroll
            for (int k = 0; k < 4; k++) acc[mt][nt][k] = 0.0f;

    // probability writer: thread -> head pr, slots 8 pc .. 8 pc + 7 of the tile
    const int pr = tid >> 2, pc = tid & 3, ph = hb + pr;
    const float* const srow = scores + ((long long)t * heads + (ph < heads ? ph : 0)) * slotsPad;
    const float pmax = gmax[pr], psum = gsum[pr];
    // ldmatrix rows: P (A operand) rows +0/+8 then k +0/+8; keys (B, transposed) k +0/+8 then n +0/+8
    const int aRow = (lane & 7) + ((lane >> 3) & 1) * 8, aCol = (lane >> 4) * 8;
    const int bKey = (lane & 7) + ((lane >> 3) & 1) * 8, bCol = (lane >> 4) * 8;

    for (int it = 0; it < ntiles; it++)
    {
        const int jt = j0 + it * MTC_TILE;
        if (it + 1 < ntiles)
        {
            mtc_load_keys(tiles + ((it + 1) & 1) * MTC_TILE * stride, stride, kc, kw, lora, idxRow, count, gbase, jt + MTC_TILE, tid);
            mtc_wait_one();
        }
        else mtc_wait_all();

        {
            u32 w[4] = { 0u, 0u, 0u, 0u };
            if (ph < heads && pmax != SS_NEG_INF)
            {
                const float4 x = *reinterpret_cast<const float4*>(srow + jt + 8 * pc);
                const float4 y = *reinterpret_cast<const float4*>(srow + jt + 8 * pc + 4);
                const float s[8] = { x.x, x.y, x.z, x.w, y.x, y.y, y.z, y.w };
                float p[8];
#pragma unroll
                for (int k = 0; k < 8; k++) p[k] = bf16_round(expf(s[k] - pmax) / psum);   // exp(-inf) = 0
#pragma unroll
                for (int k = 0; k < 4; k++) w[k] = mtc_pack(p[2 * k], p[2 * k + 1]);
            }
            *reinterpret_cast<uint4*>(ps + pr * MTC_PSTRIDE + 8 * pc) = make_uint4(w[0], w[1], w[2], w[3]);
        }
        __syncthreads();
        const u16* const tile = tiles + (it & 1) * MTC_TILE * stride;

#pragma unroll
        for (int ks = 0; ks < MTC_TILE / 16; ks++)
        {
            u32 a[2][4];
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
                mtc_ldsm4(mtc_smem(ps + (32 * wm + 16 * mt + aRow) * MTC_PSTRIDE + 16 * ks + aCol), a[mt][0], a[mt][1], a[mt][2], a[mt][3]);
#pragma unroll
            for (int p = 0; p < MTC_MAX_LORA / 64; p++)
            {
                if (2 * p < ntw)
                {
                    u32 b0, b1, b2, b3;   // columns nBase + 16p .. +7 -> (b0, b1), +8 .. +15 -> (b2, b3)
                    mtc_ldsm4_t(mtc_smem(tile + (16 * ks + bKey) * stride + nBase + 16 * p + bCol), b0, b1, b2, b3);
#pragma unroll
                    for (int mt = 0; mt < 2; mt++)
                    {
                        mtc_mma(acc[mt][2 * p], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b0, b1);
                        mtc_mma(acc[mt][2 * p + 1], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b2, b3);
                    }
                }
            }
        }
        __syncthreads();   // P and the tile buffer are rewritten next
    }

    const int g = lane >> 2, tc = lane & 3;
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int half = 0; half < 2; half++)
        {
            const int h = hb + 32 * wm + 16 * mt + g + 8 * half;
            if (h >= heads) continue;
            float* const orow = opart + (((long long)t * splits + split) * heads + h) * lora + nBase + 2 * tc;
#pragma unroll
            for (int nt = 0; nt < MTC_MAX_LORA / 32; nt++)
                if (nt < ntw)
                    *reinterpret_cast<float2*>(orow + 8 * nt) = make_float2(acc[mt][nt][2 * half], acc[mt][nt][2 * half + 1]);
        }
}
