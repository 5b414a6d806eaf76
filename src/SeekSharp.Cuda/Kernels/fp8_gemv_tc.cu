// fp8_gemv_tc.cu - y = x*W^T for decode-sized FP8 inputs (up to 32 rows) on the tensor cores, sm_89+, with fp8_gemm_tc's
// arithmetic bit for bit: per 128-wide K block a fresh fp32 partial from four mma.sync m16n8k32 e4m3 steps over the
// same k slots as fp8_gemm_tc, then acc = acc + partial * (a_scale * w_scale), K blocks ascending, separate multiply
// and add (the reference Fp8BlockGemm's promotion).
//
// Why a kernel of its own: a decode product streams its weight once, so its speed is the bytes it keeps in flight and
// the instructions it spends per byte. fp8_gemm_tc gives each block all of K for 128 outputs (5 blocks for a 576-output
// kv_a); fp8_gemv_rR gives each warp whole weight rows, with the activations in shared memory as fp32 (a shared load
// per weight code and row). Here the K blocks of a tile run in parallel and the promotion's order is restored after:
// - a block (8 warps) takes output tiles of BN = 8*NT outputs, blockIdx.x, + gridDim.x, ... (a grid of one resident
//   wave, so loads stream on across tiles); in round j of a tile warp w takes the KPU K blocks 8*KPU*j + KPU*w + i;
// - a warp's unit is BN weight rows x KPU*128 codes plus the activation rows' codes. Lane (g, t) copies chunks t and
//   t + 4 (16 codes each) of every K block of weight rows n0 + 8nt + g and of activation rows 16mt + 8hr + g with
//   cp.async into its own slots of the warp's D-stage ring, and later reads back exactly those slots as mma fragments
//   (the order of k inside a K block is free as long as A and W share it; this is fp8_gemm_tc's). The ring holds the
//   loads in flight without holding registers; the w_scales of a unit ride in registers, the a_scales sit in shared
//   memory for the whole kernel;
// - up to 8 activation rows (WA) the 16 weight rows of a tile are the mma's A operand and the activations its B (8
//   columns, the unused ones zero), one m16n8k32 step per 32 codes; from 9 rows the activations are A (16 or 32 rows)
//   and the weights B, as in fp8_gemm_tc. Either way each output is the same sum of the same k slots: the lab checks
//   the results against fp8_gemm_tc bit for bit;
// - each round's 8*KPU scaled partials go to shared memory; after a barrier, one thread per (row, output) adds them
//   into its acc in ascending K block (double-buffered, one barrier per round), and stores y after a tile's last round.
// Activation rows past `rows`, weight rows past `out` and chunks past `in` are zero-filled.

#if __CUDA_ARCH__ >= 890

#define GEMV_TC_WARPS 8   // warps per block

// One warp's ring stage, lane-major so every lane reads back its own 16-byte slots without bank conflicts:
// W [NT][KPU][chunk h][32 lanes] uint4, then A [MT][HR][KPU][h][A_LANES] uint4.
template <int RA, int NT, int KPU>
struct GemvTcStage
{
    static constexpr int MT = (RA + 15) / 16;              // m16 tiles of activation rows
    static constexpr int HR = RA > 8 ? 2 : 1;              // rows g (and g + 8) per m tile
    static constexpr int A_LANES = (RA >= 8 ? 8 : RA) * 4; // lanes g < RA hold activation rows
    static constexpr int A_OFF = NT * KPU * 2 * 32 * 16;
    static constexpr int BYTES = A_OFF + MT * HR * KPU * 2 * A_LANES * 16;
};

// Dynamic shared bytes: the warps' rings, the partials [2][8*KPU][RA][BN] floats, then a_scales [RA][k_blocks]
// (k_blocks at most GEMV_TC_MAX_KB: In up to 18432, the dense layers' down projection).
#define GEMV_TC_MAX_KB 144
#define GEMV_TC_SHARED(RA, NT, KPU, D) (GEMV_TC_WARPS * (D) * GemvTcStage<RA, NT, KPU>::BYTES \
    + 2 * GEMV_TC_WARPS * (KPU) * (RA) * 8 * (NT) * 4 + (RA) * GEMV_TC_MAX_KB * 4)

// Where a warp's unit stream stands: tile n0 and the first K block of its unit in round j (kb0 = 8*KPU*j + KPU*warp).
struct GemvTcCursor
{
    int n0, j, kb0;
};

template <int KPU>
__device__ __forceinline__ void gemv_tc_advance(GemvTcCursor& c, int rounds, int bn_stride, int warp)
{
    if (++c.j == rounds) { c.j = 0; c.n0 += bn_stride; }
    c.kb0 = GEMV_TC_WARPS * KPU * c.j + KPU * warp;
}

// The lane's chunks t and t + 4 of K blocks kb0 .. kb0 + KPU - 1 of one row (weights or activations) into its slots
// slot(i, h) (shared addresses); zero-filled from `any` (a valid address) past `in` or when the row does not exist.
template <int KPU, typename Slot>
__device__ __forceinline__ void gemv_tc_copy_row(Slot slot, const u8* row, bool row_ok, const u8* any, int kb0, int in, int t)
{
    #pragma unroll
    for (int i = 0; i < KPU; i++)
        #pragma unroll
        for (int h = 0; h < 2; h++)
        {
            const int k = (kb0 + i) * 128 + 16 * (t + 4 * h);
            const bool ok = k < in && row_ok;
            cp_async16(slot(i, h), ok ? row + k : any, ok ? 16 : 0);
        }
}

// Queues the cp.async copies of the unit at cursor c into the stage at shared address st, and loads its w_scales.
template <int RA, int NT, int KPU>
__device__ __forceinline__ void gemv_tc_issue(u32 st, float (&ws)[KPU], const GemvTcCursor& c, const u8* a,
    const u8* w, const float* w_scales, int rows, int out, int in, int k_blocks, int lane)
{
    using S = GemvTcStage<RA, NT, KPU>;
    const int g = lane >> 2, t = lane & 3;
    #pragma unroll
    for (int i = 0; i < KPU; i++)
        ws[i] = c.kb0 + i < k_blocks ? __ldg(w_scales + (i64)(c.n0 >> 7) * k_blocks + c.kb0 + i) : 0.0f;
    if (c.kb0 >= k_blocks) return;   // an empty unit (past the last K block): nothing to copy
    #pragma unroll
    for (int nt = 0; nt < NT; nt++)
    {
        const int n = c.n0 + 8 * nt + g;
        gemv_tc_copy_row<KPU>([&](int i, int h) { return st + (((nt * KPU + i) * 2 + h) * 32 + lane) * 16; },
            w + (i64)(n < out ? n : 0) * in, n < out, w, c.kb0, in, t);
    }
    if (lane < S::A_LANES)
        #pragma unroll
        for (int mt = 0; mt < S::MT; mt++)
            #pragma unroll
            for (int hr = 0; hr < S::HR; hr++)
            {
                const int m = 16 * mt + 8 * hr + g;
                gemv_tc_copy_row<KPU>(
                    [&](int i, int h) { return st + S::A_OFF + ((((mt * S::HR + hr) * KPU + i) * 2 + h) * S::A_LANES + lane) * 16; },
                    a + (i64)(m < rows ? m : 0) * in, m < rows, a, c.kb0, in, t);
            }
}

// The landed unit's partials, scaled: slot[i][m][o] = partial * (a_scale * w_scale) for its K blocks kb0 + i.
template <int RA, int NT, int KPU, bool WA>
__device__ __forceinline__ void gemv_tc_multiply(const u8* st, const float (&ws)[KPU], const float* a_scale_rows,
    int kb0, int k_blocks, float* slot, int lane)
{
    using S = GemvTcStage<RA, NT, KPU>;
    static_assert(!WA || NT == 2, "weights as the A operand: 16 weight rows a tile");
    constexpr int MT = S::MT, HR = S::HR, BN = 8 * NT;
    const int g = lane >> 2, t = lane & 3;
    const bool has_a = lane < S::A_LANES;
    #pragma unroll
    for (int i = 0; i < KPU; i++)
    {
        if (kb0 + i >= k_blocks) break;   // warp-uniform
        uint4 wv[NT][2], av[MT][HR][2];
        #pragma unroll
        for (int h = 0; h < 2; h++)
        {
            #pragma unroll
            for (int nt = 0; nt < NT; nt++) wv[nt][h] = *(const uint4*)(st + (((nt * KPU + i) * 2 + h) * 32 + lane) * 16);
            #pragma unroll
            for (int mt = 0; mt < MT; mt++)
                #pragma unroll
                for (int hr = 0; hr < HR; hr++)
                    av[mt][hr][h] = has_a
                        ? *(const uint4*)(st + S::A_OFF + ((((mt * HR + hr) * KPU + i) * 2 + h) * S::A_LANES + lane) * 16)
                        : make_uint4(0u, 0u, 0u, 0u);
        }
        if constexpr (WA)
        {
            // weights as A (rows g, g + 8 of the 16-output tile), activations as B in tiles of 8 rows (column g of
            // tile (mt, hr) = activation row 16mt + 8hr + g): one m16n8k32 step covers 16 outputs, the same k slots
            float wpart[1][MT * HR][4];   // [the weight tile][activation tile 2mt + hr]
            tc_zero(wpart);
            #pragma unroll
            for (int h = 0; h < 2; h++)
            {
                const uint4 wa[1][2] = {{wv[0][h], wv[NT - 1][h]}};
                uint4 ab[MT * HR];
                #pragma unroll
                for (int b = 0; b < MT * HR; b++) ab[b] = av[b / HR][b % HR][h];
                tc_mma_chunk(wpart, wa, ab);
            }
            // c0, c1: output g, activation rows 2t, 2t + 1 of the tile; c2, c3: output g + 8
            #pragma unroll
            for (int mt = 0; mt < MT; mt++)
                #pragma unroll
                for (int hr = 0; hr < HR; hr++)
                    #pragma unroll
                    for (int e = 0; e < 2; e++)
                    {
                        const int m = 16 * mt + 8 * hr + 2 * t + e;
                        if (m >= RA) continue;
                        const float scale = a_scale_rows[m * GEMV_TC_MAX_KB + kb0 + i] * ws[i];
                        slot[(i * RA + m) * BN + g] = wpart[0][mt * HR + hr][e] * scale;
                        slot[(i * RA + m) * BN + g + 8] = wpart[0][mt * HR + hr][2 + e] * scale;
                    }
        }
        else
        {
            float part[MT][NT][4];
            tc_zero(part);
            // fp8_gemm_tc's order: chunk h, then its word pairs
            #pragma unroll
            for (int h = 0; h < 2; h++)
            {
                uint4 aa[MT][2], wb[NT];
                #pragma unroll
                for (int mt = 0; mt < MT; mt++)
                {
                    aa[mt][0] = av[mt][0][h];
                    aa[mt][1] = HR == 2 ? av[mt][HR - 1][h] : make_uint4(0u, 0u, 0u, 0u);
                }
                #pragma unroll
                for (int nt = 0; nt < NT; nt++) wb[nt] = wv[nt][h];
                tc_mma_chunk(part, aa, wb);
            }
            // c0, c1: row g, outputs 2t, 2t + 1; c2, c3: row g + 8 (rows past RA are not kept)
            #pragma unroll
            for (int mt = 0; mt < MT; mt++)
                #pragma unroll
                for (int hr = 0; hr < HR; hr++)
                {
                    const int m = 16 * mt + 8 * hr + g;
                    if (m >= RA) continue;
                    const float scale = a_scale_rows[m * GEMV_TC_MAX_KB + kb0 + i] * ws[i];
                    #pragma unroll
                    for (int nt = 0; nt < NT; nt++)
                        *(float2*)(slot + (i * RA + m) * BN + 8 * nt + 2 * t) =
                            make_float2(part[mt][nt][2 * hr] * scale, part[mt][nt][2 * hr + 1] * scale);
                }
        }
    }
}

// a: codes [rows, in] (0 < in <= 128 * GEMV_TC_MAX_KB, in % 16 == 0; a, w 16-byte aligned); a_scales [rows, k_blocks];
// w: codes [out, in]; w_scales [ceil(out/128), k_blocks]; y [rows, out] with row stride y_stride, rounded to bf16 when
// round_bf16. grid = any (tiles of BN outputs are grid-strided), block = 256 threads, rows <= RA, dynamic shared
// GEMV_TC_SHARED.
template <int RA, int NT, int KPU, int D, bool WA>
__device__ __forceinline__ void fp8_gemv_tc(const u8* __restrict__ a, const float* __restrict__ a_scales,
    const u8* __restrict__ w, const float* __restrict__ w_scales, float* __restrict__ y, int rows, int out, int in,
    int y_stride, int round_bf16)
{
    using S = GemvTcStage<RA, NT, KPU>;
    constexpr int BN = 8 * NT, ROUND_KB = GEMV_TC_WARPS * KPU, SLOT = KPU * RA * BN;
    constexpr int PAIRS = RA * BN, PER_THREAD = (PAIRS + 32 * GEMV_TC_WARPS - 1) / (32 * GEMV_TC_WARPS);
    extern __shared__ __align__(128) u8 gemv_tc_smem[];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const u32 ring = smem_addr(gemv_tc_smem) + warp * D * S::BYTES;
    const u8* ring_ptr = gemv_tc_smem + warp * D * S::BYTES;
    float* partials = (float*)(gemv_tc_smem + GEMV_TC_WARPS * D * S::BYTES);   // [parity][ROUND_KB][RA][BN]
    float* a_scale_rows = partials + 2 * GEMV_TC_WARPS * SLOT;                // [RA][GEMV_TC_MAX_KB]

    const int k_blocks = (in + 127) >> 7;
    const int rounds = (k_blocks + ROUND_KB - 1) / ROUND_KB;
    const int tiles = (out + BN - 1) / BN;
    const int my_tiles = blockIdx.x < tiles ? (tiles - 1 - blockIdx.x) / gridDim.x + 1 : 0;
    const int units = my_tiles * rounds;   // every warp's unit stream: (tile, round), empty past the last K block
    const int bn_stride = gridDim.x * BN;

    for (int e = threadIdx.x; e < rows * k_blocks; e += blockDim.x)
    {
        const int m = e / k_blocks;
        a_scale_rows[m * GEMV_TC_MAX_KB + e - m * k_blocks] = a_scales[e];
    }

    // issue cursor runs D - 1 units ahead of the consuming one
    GemvTcCursor ic{(int)blockIdx.x * BN, 0, KPU * warp}, cc = ic;
    float ws[D][KPU];
    #pragma unroll
    for (int s = 0; s < D - 1; s++)
    {
        if (s < units) gemv_tc_issue<RA, NT, KPU>(ring + s * S::BYTES, ws[s], ic, a, w, w_scales, rows, out, in, k_blocks, lane);
        cp_async_commit();
        gemv_tc_advance<KPU>(ic, rounds, bn_stride, warp);
    }
    __syncthreads();   // a_scale_rows

    float acc[PER_THREAD];
    #pragma unroll
    for (int i = 0; i < PER_THREAD; i++) acc[i] = 0.0f;

    for (int u0 = 0; u0 < units; u0 += D)
    {
        #pragma unroll
        for (int s = 0; s < D; s++)   // unit u = u0 + s sits in stage s; stage (s + D - 1) % D takes unit u + D - 1
        {
            const int u = u0 + s;
            if (u >= units) break;   // block-uniform
            const int next = (s + D - 1) % D;
            if (u + D - 1 < units)
                gemv_tc_issue<RA, NT, KPU>(ring + next * S::BYTES, ws[next], ic, a, w, w_scales, rows, out, in, k_blocks, lane);
            cp_async_commit();
            gemv_tc_advance<KPU>(ic, rounds, bn_stride, warp);
            asm volatile("cp.async.wait_group %0;" :: "n"(D - 1) : "memory");   // unit u has landed (slots are lane-private)
            float* slot = partials + ((u & 1) * GEMV_TC_WARPS + warp) * SLOT;
            if (cc.kb0 < k_blocks)
                gemv_tc_multiply<RA, NT, KPU, WA>(ring_ptr + s * S::BYTES, ws[s], a_scale_rows, cc.kb0, k_blocks, slot, lane);
            __syncthreads();
            // the round's K blocks in ascending order: acc = acc + partial * scale (the product was rounded above)
            const int valid = min(ROUND_KB, k_blocks - ROUND_KB * cc.j);
            const float* round_partials = partials + (u & 1) * GEMV_TC_WARPS * SLOT;   // [ROUND_KB][RA][BN]
            #pragma unroll
            for (int p = 0; p < PER_THREAD; p++)
            {
                const int pair = threadIdx.x + 32 * GEMV_TC_WARPS * p;
                if (pair < PAIRS)
                {
                    #pragma unroll
                    for (int v = 0; v < ROUND_KB; v++)
                        if (v < valid) acc[p] = acc[p] + round_partials[v * PAIRS + pair];
                    if (cc.j == rounds - 1)   // the tile's last round: store and start the next tile from zero
                    {
                        const int m = pair / BN, n = cc.n0 + pair % BN;
                        if (m < rows && n < out) y[(i64)m * y_stride + n] = round_bf16 ? bf16_round(acc[p]) : acc[p];
                        acc[p] = 0.0f;
                    }
                }
            }
            gemv_tc_advance<KPU>(cc, rounds, bn_stride, warp);
        }
    }
    asm volatile("cp.async.wait_group 0;" ::: "memory");
}

// Ring stages per warp (units in flight + 1), per kernel; Fp8GemvTensorCores mirrors these (its shared-memory sizes).
// H200 lab: 2 stages beat 3 up to 16 rows (o_proj 36 against 39 us at one row: more blocks an SM); at 32 rows the
// kernel holds one block an SM either way, and 3 stages keep its 1-K-block units streaming.
#ifndef GEMV_TC_D1
#define GEMV_TC_D1 2
#endif
#ifndef GEMV_TC_D8
#define GEMV_TC_D8 2
#endif
#ifndef GEMV_TC_D16
#define GEMV_TC_D16 2
#endif
#ifndef GEMV_TC_D32
#define GEMV_TC_D32 3
#endif


#define FP8_GEMV_TC_KERNEL(NAME, RA, NT, KPU, D, WA)                                                                    \
    extern "C" __global__ void __launch_bounds__(256) NAME(const u8* a, const float* a_scales, const u8* w,            \
        const float* w_scales, float* y, int rows, int out, int in, int y_stride, int round_bf16)                      \
    {                                                                                                                  \
        fp8_gemv_tc<RA, NT, KPU, D, WA>(a, a_scales, w, w_scales, y, rows, out, in, y_stride, round_bf16);             \
    }                                                                                                                  \
    extern "C" __global__ void NAME##_shape(int* shape) { shape[0] = GEMV_TC_SHARED(RA, NT, KPU, D); shape[1] = 8 * (NT); }

#ifndef GEMV_TC_WA
#define GEMV_TC_WA 1   // up to 8 rows: weights as the A operand, 16 outputs a tile
#endif
#define GEMV_TC_NT8 (GEMV_TC_WA ? 2 : 1)
#ifndef GEMV_TC_WA16
#define GEMV_TC_WA16 0   // from 9 rows the activations stay A (lab: weights as A measured 2-15 % slower there)
#endif
#ifndef GEMV_TC_KPU   // K blocks a unit up to 8 rows: 4 KiB of weights either way
#define GEMV_TC_KPU (GEMV_TC_WA ? 2 : 4)
#endif

// Up to 8 rows: 16 outputs a tile with the weights as A, half the mma steps of 8-output tiles with them as B (lab,
// one row: 2048 x 7168 6.7 against 7.7 us, o_proj 36 against 38); from 9 rows 16 outputs with the activations as A,
// so the activation bytes of a unit stay at most twice the weight bytes
FP8_GEMV_TC_KERNEL(fp8_gemv_tc_r1, 1, GEMV_TC_NT8, GEMV_TC_KPU, GEMV_TC_D1, GEMV_TC_WA)
FP8_GEMV_TC_KERNEL(fp8_gemv_tc_r2, 2, GEMV_TC_NT8, GEMV_TC_KPU, GEMV_TC_D8, GEMV_TC_WA)
FP8_GEMV_TC_KERNEL(fp8_gemv_tc_r4, 4, GEMV_TC_NT8, GEMV_TC_KPU, GEMV_TC_D8, GEMV_TC_WA)
FP8_GEMV_TC_KERNEL(fp8_gemv_tc_r8, 8, GEMV_TC_NT8, GEMV_TC_KPU, GEMV_TC_D8, GEMV_TC_WA)
FP8_GEMV_TC_KERNEL(fp8_gemv_tc_r16, 16, 2, 2, GEMV_TC_D16, GEMV_TC_WA16)
FP8_GEMV_TC_KERNEL(fp8_gemv_tc_r32, 32, 2, 1, GEMV_TC_D32, GEMV_TC_WA16)

#endif
