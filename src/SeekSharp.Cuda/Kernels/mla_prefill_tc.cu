// mla_prefill_tc.cu - the MHA-form prefill (IComputeDevice.MlaPrefill, a prompt from position 0) on bf16 tensor cores
// (mma.sync m16n8k16, sm_80+) for DeepSeek's head shape (nope 128, rope 64, v 128), with mla_prefill's semantics:
//   s_j = (q_nope . k_nope_j + q_pe . k_pe_j) * scale (fp32 sums of exact bf16 products),
//   p_j = bf16(exp(s_j - max) / sum),  out[i, h, :] = bf16(sum_j p_j v_j),  lse = max + ln(sum).
// q, kvb and ropeKeys hold bf16 values (the model's: linear and RoPE outputs), so widening them to bf16 is exact.
//
// Why a dense causal form: a prompt's first chunk attends only to its own rows, and the rows below 2048 select every
// causal key (top-k of at most 2048 visible). Attention per head over tiles of keys shared by 64 queries reuses each
// key tile 64 times, where gathering per (query, head) the rows of its own index list (mla_prefill) reads each key once
// per query and head (1.4 TB at 4096 tokens, 128 heads). Rows past 2048 keep their index list as a bit mask: the tiles
// run over every causal key and the unselected ones get -inf (the reference's additive index mask). Cost ~ tokens^2,
// so it pays for first chunks up to a few thousand tokens; the paper uses such a masked MHA path for short prefills.
//
// Two passes over the key tiles per (64 queries, head): the first keeps each row's running max and sum, the second
// recomputes the scores, forms the exact p with the final max and sum and multiplies P V. The sum is accumulated with
// the running max rescaled (exp(m_old - m_new)) instead of after the final max, as the CPU does: fp32-rounding apart.
//
// Layouts, from mla_prefill_tc_keys: kh [heads, tpad, 192] bf16 (k_nope | k_pe), vt [heads, tpad / 32, 128, 32] bf16
// (each 32-key tile of v transposed, so the P V fragments read key pairs); tpad = tokens rounded up to 64, zeros past.

#define MPT_ROWS 64          // query rows per block: 4 warps x 16
#define MPT_KEYS 32          // keys per tile
#define MPT_NOPE 128
#define MPT_ROPE 64
#define MPT_QK 192           // nope + rope
#define MPT_V 128
#define MPT_KVB 256          // kvb row per head: nope + v
#define MPT_KS 200           // bf16 per key row in shared: 192 + 8, so a fragment's 8 rows x 4 words hit 32 banks
#define MPT_VS 40            // bf16 per transposed v row in shared: 32 keys + 8, likewise
#define MPT_K_TILE (MPT_KEYS * MPT_KS)
#define MPT_V_TILE (MPT_V * MPT_VS)

// kh and vt of one 32-key tile per (tile, head) block of 128 threads
extern "C" __global__ void __launch_bounds__(128) mla_prefill_tc_keys(const float* __restrict__ kvb,
    const float* __restrict__ ropeKeys, u16* __restrict__ kh, u16* __restrict__ vt, int tokens, int tpad, int heads)
{
    __shared__ float sv[MPT_KEYS][MPT_V + 1];
    const int kt = blockIdx.x, h = blockIdx.y, tid = threadIdx.x;
    for (int c = tid; c < MPT_KEYS * (MPT_QK / 2); c += 128)
    {
        const int r = c / (MPT_QK / 2), x = 2 * (c % (MPT_QK / 2)), s = kt * MPT_KEYS + r;
        float2 pair = make_float2(0.0f, 0.0f);
        if (s < tokens)
            pair = x < MPT_NOPE ? *reinterpret_cast<const float2*>(kvb + ((i64)s * heads + h) * MPT_KVB + x)
                                : *reinterpret_cast<const float2*>(ropeKeys + (i64)s * MPT_ROPE + (x - MPT_NOPE));
        *reinterpret_cast<u32*>(kh + ((i64)h * tpad + s) * MPT_QK + x) = pack_bf16x2(pair.x, pair.y);
    }
    for (int c = tid; c < MPT_KEYS * MPT_V; c += 128)
    {
        const int r = c / MPT_V, d = c % MPT_V, s = kt * MPT_KEYS + r;
        sv[r][d] = s < tokens ? kvb[((i64)s * heads + h) * MPT_KVB + MPT_NOPE + d] : 0.0f;
    }
    __syncthreads();
    u16* const tile = vt + ((i64)h * (tpad / MPT_KEYS) + kt) * MPT_V * MPT_KEYS;
    for (int c = tid; c < MPT_V * (MPT_KEYS / 2); c += 128)
    {
        const int d = c / (MPT_KEYS / 2), r = 2 * (c % (MPT_KEYS / 2));
        *reinterpret_cast<u32*>(tile + d * MPT_KEYS + r) = pack_bf16x2(sv[r][d], sv[r + 1][d]);
    }
}

// Row i's index list as bits: mask [tokens, words], bit s of row i set when s is selected and s <= i. One block a row.
extern "C" __global__ void __launch_bounds__(256) mla_prefill_tc_mask(const int* __restrict__ indices, int width,
    u32* __restrict__ mask, int words)
{
    extern __shared__ u32 row_bits[];
    const int i = blockIdx.x, tid = threadIdx.x;
    for (int w = tid; w < words; w += 256) row_bits[w] = 0u;
    __syncthreads();
    for (int j = tid; j < width; j += 256)
    {
        const int s = indices[(i64)i * width + j];
        if (s >= 0 && s <= i) atomicOr(&row_bits[s >> 5], 1u << (s & 31));
    }
    __syncthreads();
    for (int w = tid; w < words; w += 256) mask[(i64)i * words + w] = row_bits[w];
}

// cp.async of key tile kt (and its v tile) into one stage
__device__ __forceinline__ void mpt_load(u32 ks, u32 vs, const u16* kh_head, const u16* vt_head, int kt, bool with_v)
{
    const int tid = threadIdx.x;
    const u16* k = kh_head + (i64)kt * MPT_KEYS * MPT_QK;
    for (int c = tid; c < MPT_KEYS * (MPT_QK / 8); c += 128)
    {
        const int r = c / (MPT_QK / 8), x = 8 * (c % (MPT_QK / 8));
        cp_async16(ks + 2 * (r * MPT_KS + x), k + r * MPT_QK + x, 16);
    }
    if (with_v)
    {
        const u16* v = vt_head + (i64)kt * MPT_V * MPT_KEYS;
        for (int c = tid; c < MPT_V * (MPT_KEYS / 8); c += 128)
        {
            const int r = c / (MPT_KEYS / 8), x = 8 * (c % (MPT_KEYS / 8));
            cp_async16(vs + 2 * (r * MPT_VS + x), v + r * MPT_KEYS + x, 16);
        }
    }
    cp_async_commit();
}

// s[n][.] = scores of this warp's rows (g: [0], [1]; g + 8: [2], [3]) against keys 8n + 2t, +1 of the tile, scaled, -inf
// where not attended: past the row (causal), or unselected (bit clear in the row's mask word for this tile)
// The forms (one kernel each, MlaPrefillTensorCores picks): q fragments held in registers with B fragments as 32-bit
// loads (LDS) or by ldmatrix.x4, two k-steps of one key group a load (LDSM); or q kept in shared memory and its A
// fragments loaded by ldmatrix a k-step pair at a time (QS, the default: 168 registers instead of 216, so 3 blocks an
// SM instead of 2; 4096 tokens 11.3 ms against 13.4).
#define MPT_LDS 0
#define MPT_LDSM 1
#define MPT_QS 2

template <int FORM>
__device__ __forceinline__ void mpt_scores(float (&s)[4][4], const u32 (&qf)[12][4], u32 q_lane, const u16* ks, int g, int t,
    int key0, int ra, int rb, u32 wa, u32 wb, float scale)
{
#pragma unroll
    for (int n = 0; n < 4; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) s[n][e] = 0.0f;
    if (FORM == MPT_QS)
    {
        const int lane = 4 * g + t;
        const u32 base = smem_addr(ks + (lane & 7) * MPT_KS + 8 * (lane >> 3));
#pragma unroll
        for (int k = 0; k < 12; k += 2)
        {
            u32 a[2][4];   // q_lane: row lane % 16 of the warp's 16, dims 8 (lane / 16) of the k-step
            ldsm_x4(q_lane + 2 * 16 * k, a[0][0], a[0][1], a[0][2], a[0][3]);
            ldsm_x4(q_lane + 2 * 16 * (k + 1), a[1][0], a[1][1], a[1][2], a[1][3]);
#pragma unroll
            for (int n = 0; n < 4; n++)
            {
                u32 b0, b1, c0, c1;
                ldsm_x4(base + 2 * (8 * n * MPT_KS + 16 * k), b0, b1, c0, c1);
                mma_bf16_16816(s[n], a[0][0], a[0][1], a[0][2], a[0][3], b0, b1);
                mma_bf16_16816(s[n], a[1][0], a[1][1], a[1][2], a[1][3], c0, c1);
            }
        }
    }
    else if (FORM == MPT_LDSM)
    {
        // lane l addresses row l % 8 of matrix l / 8: keys 8n + l % 8, dims 16k + 8 (l / 8) (k-steps k, k + 1)
        const int lane = 4 * g + t;
        const u32 base = smem_addr(ks + (lane & 7) * MPT_KS + 8 * (lane >> 3));
#pragma unroll
        for (int k = 0; k < 12; k += 2)
#pragma unroll
            for (int n = 0; n < 4; n++)
            {
                u32 b0, b1, c0, c1;
                ldsm_x4(base + 2 * (8 * n * MPT_KS + 16 * k), b0, b1, c0, c1);
                mma_bf16_16816(s[n], qf[k][0], qf[k][1], qf[k][2], qf[k][3], b0, b1);
                mma_bf16_16816(s[n], qf[k + 1][0], qf[k + 1][1], qf[k + 1][2], qf[k + 1][3], c0, c1);
            }
    }
    else
    {
#pragma unroll
        for (int k = 0; k < 12; k++)
#pragma unroll
            for (int n = 0; n < 4; n++)
            {
                const u16* row = ks + (8 * n + g) * MPT_KS + 16 * k + 2 * t;
                mma_bf16_16816(s[n], qf[k][0], qf[k][1], qf[k][2], qf[k][3], *reinterpret_cast<const u32*>(row),
                    *reinterpret_cast<const u32*>(row + 8));
            }
    }
#pragma unroll
    for (int n = 0; n < 4; n++)
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            const int local = 8 * n + 2 * t + (e & 1), key = key0 + local, row = e < 2 ? ra : rb;
            const u32 bits = e < 2 ? wa : wb;
            s[n][e] = key <= row && ((bits >> local) & 1u) ? s[n][e] * scale : SS_NEG_INF;
        }
}

// The max of a row's values over the quad that holds it (lanes 4g .. 4g + 3)
__device__ __forceinline__ float mpt_quad_max(float x)
{
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

__device__ __forceinline__ float mpt_quad_sum(float x)
{
    x += __shfl_xor_sync(0xffffffffu, x, 1);
    return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// q [tokens, heads, 192] F32 (bf16 values); kh, vt from mla_prefill_tc_keys; mask [tokens, words] from
// mla_prefill_tc_mask or null (every causal key); output [tokens, heads, 128] F32; lse [tokens, heads] or null.
// grid (tpad / 64, heads), block 128; blocks with the most key tiles first.
// Shared memory: ks_tiles 2 stages of MPT_K_TILE, vs_tiles 2 of MPT_V_TILE, q_tile (QS only) MPT_ROWS x MPT_KS
template <int FORM>
__device__ __forceinline__ void mpt_attend(u16* ks_base, u16* vs_base, u16* q_tile, const float* __restrict__ q,
    const u16* __restrict__ kh, const u16* __restrict__ vt, const u32* __restrict__ mask, int words,
    float* __restrict__ output, float* __restrict__ lse, int tokens, int tpad, int heads, float scale)
{
    u16* const ks_tiles[2] = {ks_base, ks_base + MPT_K_TILE};
    u16* const vs_tiles[2] = {vs_base, vs_base + MPT_V_TILE};
    const int qt = gridDim.x - 1 - blockIdx.x, h = blockIdx.y;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int warp_row0 = qt * MPT_ROWS + warp * 16, ra = warp_row0 + g, rb = ra + 8;

    // this warp's q rows as A fragments (12 k-steps over the 192 dims), or the block's q rows in shared memory
    u32 qf[12][4];
    u32 q_lane = 0;
    if (FORM == MPT_QS)
    {
        for (int c = threadIdx.x; c < MPT_ROWS * (MPT_QK / 2); c += 128)
        {
            const int r = c / (MPT_QK / 2), x = 2 * (c % (MPT_QK / 2)), row = qt * MPT_ROWS + r;
            const float2 v = row < tokens ? *reinterpret_cast<const float2*>(q + ((i64)row * heads + h) * MPT_QK + x)
                                          : make_float2(0.0f, 0.0f);
            *reinterpret_cast<u32*>(q_tile + r * MPT_KS + x) = pack_bf16x2(v.x, v.y);
        }
        __syncthreads();
        q_lane = smem_addr(q_tile + (warp * 16 + (lane & 15)) * MPT_KS + 8 * (lane >> 4));
    }
    else
    {
        const float* qa = q + ((i64)ra * heads + h) * MPT_QK + 2 * t;
        const float* qb = q + ((i64)rb * heads + h) * MPT_QK + 2 * t;
#pragma unroll
        for (int k = 0; k < 12; k++)
        {
            const float2 a0 = ra < tokens ? *reinterpret_cast<const float2*>(qa + 16 * k) : make_float2(0.0f, 0.0f);
            const float2 a2 = ra < tokens ? *reinterpret_cast<const float2*>(qa + 16 * k + 8) : make_float2(0.0f, 0.0f);
            const float2 b0 = rb < tokens ? *reinterpret_cast<const float2*>(qb + 16 * k) : make_float2(0.0f, 0.0f);
            const float2 b2 = rb < tokens ? *reinterpret_cast<const float2*>(qb + 16 * k + 8) : make_float2(0.0f, 0.0f);
            qf[k][0] = pack_bf16x2(a0.x, a0.y);
            qf[k][1] = pack_bf16x2(b0.x, b0.y);
            qf[k][2] = pack_bf16x2(a2.x, a2.y);
            qf[k][3] = pack_bf16x2(b2.x, b2.y);
        }
    }
    const int block_last = min(qt * MPT_ROWS + MPT_ROWS, tokens) - 1;   // the block's furthest row: its last key
    const int tiles = block_last / MPT_KEYS + 1;
    const u16* kh_head = kh + (i64)h * tpad * MPT_QK;
    const u16* vt_head = vt + (i64)h * tpad * MPT_V;
    const u32 ks0 = smem_addr(ks_base), vs0 = smem_addr(vs_base);
    const u32 k_stage = MPT_K_TILE * 2, v_stage = MPT_V_TILE * 2;
    // a row's mask word for tile kt (every bit when there is no mask; rows past the prompt attend nothing)
    auto word = [&](int row, int kt) -> u32 {
        if (row >= tokens) return 0u;
        return mask != nullptr ? __ldg(mask + (i64)row * words + kt) : 0xffffffffu;
    };

    // pass 1: each row's max and sum (running)
    float m[2] = {SS_NEG_INF, SS_NEG_INF}, l[2] = {0.0f, 0.0f};
    mpt_load(ks0, vs0, kh_head, vt_head, 0, false);
    for (int kt = 0; kt < tiles; kt++)
    {
        if (kt + 1 < tiles)
        {
            mpt_load(ks0 + ((kt + 1) & 1) * k_stage, vs0, kh_head, vt_head, kt + 1, false);
            asm volatile("cp.async.wait_group 1;" ::: "memory");
        }
        else asm volatile("cp.async.wait_group 0;" ::: "memory");
        __syncthreads();
        if (kt * MPT_KEYS <= warp_row0 + 15)   // else every key of the tile is past this warp's rows
        {
            float s[4][4];
            mpt_scores<FORM>(s, qf, q_lane, ks_tiles[kt & 1], g, t, kt * MPT_KEYS, ra, rb, word(ra, kt), word(rb, kt), scale);
#pragma unroll
            for (int half = 0; half < 2; half++)
            {
                float x = SS_NEG_INF;
#pragma unroll
                for (int n = 0; n < 4; n++) x = fmaxf(x, fmaxf(s[n][2 * half], s[n][2 * half + 1]));
                const float m_new = fmaxf(m[half], mpt_quad_max(x));
                // every lane takes part in the quad sums; a row with nothing attended yet adds zeros
                const bool any = m_new != SS_NEG_INF;
                float e = 0.0f;
#pragma unroll
                for (int n = 0; n < 4; n++)
                    e += any ? expf(s[n][2 * half] - m_new) + expf(s[n][2 * half + 1] - m_new) : 0.0f;
                e = mpt_quad_sum(e);
                if (any) l[half] = (m[half] == SS_NEG_INF ? 0.0f : l[half] * expf(m[half] - m_new)) + e;
                m[half] = m_new;
            }
        }
        __syncthreads();   // the stage is refilled next
    }

    // pass 2: p = bf16(exp(s - max) / sum) and o += P V
    float o[16][4];
#pragma unroll
    for (int n = 0; n < 16; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) o[n][e] = 0.0f;
    mpt_load(ks0, vs0, kh_head, vt_head, 0, true);
    for (int kt = 0; kt < tiles; kt++)
    {
        if (kt + 1 < tiles)
        {
            mpt_load(ks0 + ((kt + 1) & 1) * k_stage, vs0 + ((kt + 1) & 1) * v_stage, kh_head, vt_head, kt + 1, true);
            asm volatile("cp.async.wait_group 1;" ::: "memory");
        }
        else asm volatile("cp.async.wait_group 0;" ::: "memory");
        __syncthreads();
        if (kt * MPT_KEYS <= warp_row0 + 15)
        {
            float s[4][4];
            mpt_scores<FORM>(s, qf, q_lane, ks_tiles[kt & 1], g, t, kt * MPT_KEYS, ra, rb, word(ra, kt), word(rb, kt), scale);
#pragma unroll
            for (int n = 0; n < 4; n++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    const int half = e >> 1;
                    s[n][e] = m[half] == SS_NEG_INF ? 0.0f : bf16_round(expf(s[n][e] - m[half]) / l[half]);
                }
            const u16* vs = vs_tiles[kt & 1];
            // ldmatrix: lane l addresses dims 8 (n + (l / 8) / 2) + l % 8, keys 16kk + 8 ((l / 8) % 2) (v tiles n, n + 1)
            const u32 vbase = smem_addr(vs + (8 * ((lane >> 3) >> 1) + (lane & 7)) * MPT_VS + 8 * ((lane >> 3) & 1));
#pragma unroll
            for (int kk = 0; kk < 2; kk++)   // 16 keys a k-step: score tiles 2kk, 2kk + 1
            {
                const u32 a0 = pack_bf16x2(s[2 * kk][0], s[2 * kk][1]), a1 = pack_bf16x2(s[2 * kk][2], s[2 * kk][3]);
                const u32 a2 = pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]), a3 = pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3]);
                if (FORM != MPT_LDS)
                {
#pragma unroll
                    for (int n = 0; n < 16; n += 2)
                    {
                        u32 b0, b1, c0, c1;
                        ldsm_x4(vbase + 2 * (8 * n * MPT_VS + 16 * kk), b0, b1, c0, c1);
                        mma_bf16_16816(o[n], a0, a1, a2, a3, b0, b1);
                        mma_bf16_16816(o[n + 1], a0, a1, a2, a3, c0, c1);
                    }
                }
                else
                {
#pragma unroll
                    for (int n = 0; n < 16; n++)
                    {
                        const u16* row = vs + (8 * n + g) * MPT_VS + 16 * kk + 2 * t;
                        mma_bf16_16816(o[n], a0, a1, a2, a3, *reinterpret_cast<const u32*>(row), *reinterpret_cast<const u32*>(row + 8));
                    }
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int half = 0; half < 2; half++)
    {
        const int row = half == 0 ? ra : rb;
        if (row >= tokens) continue;
        float* out = output + ((i64)row * heads + h) * MPT_V + 2 * t;
#pragma unroll
        for (int n = 0; n < 16; n++)
            *reinterpret_cast<float2*>(out + 8 * n) = make_float2(bf16_round(o[n][2 * half]), bf16_round(o[n][2 * half + 1]));
        if (lse != nullptr && t == 0) lse[(i64)row * heads + h] = softmax_lse(m[half], l[half]);
    }
}

// The three forms (MlaPrefillTensorCores picks; round 13's A/B): mla_prefill_tc_qs is the default
#define MPT_ARGS const float* __restrict__ q, const u16* __restrict__ kh, const u16* __restrict__ vt, \
    const u32* __restrict__ mask, int words, float* __restrict__ output, float* __restrict__ lse, int tokens, int tpad, \
    int heads, float scale

extern "C" __global__ void __launch_bounds__(128) mla_prefill_tc(MPT_ARGS)
{
    __shared__ __align__(16) u16 ks_tiles[2 * MPT_K_TILE];
    __shared__ __align__(16) u16 vs_tiles[2 * MPT_V_TILE];
    mpt_attend<MPT_LDSM>(ks_tiles, vs_tiles, nullptr, q, kh, vt, mask, words, output, lse, tokens, tpad, heads, scale);
}

extern "C" __global__ void __launch_bounds__(128) mla_prefill_tc_lds(MPT_ARGS)
{
    __shared__ __align__(16) u16 ks_tiles[2 * MPT_K_TILE];
    __shared__ __align__(16) u16 vs_tiles[2 * MPT_V_TILE];
    mpt_attend<MPT_LDS>(ks_tiles, vs_tiles, nullptr, q, kh, vt, mask, words, output, lse, tokens, tpad, heads, scale);
}

// dynamic shared MPT_QS_SHARED bytes: q tile, then the key and value stages
#define MPT_QS_SHARED ((MPT_ROWS * MPT_KS + 2 * MPT_K_TILE + 2 * MPT_V_TILE) * 2)
extern __shared__ __align__(16) u16 mpt_dynamic[];
extern "C" __global__ void __launch_bounds__(128, 3) mla_prefill_tc_qs(MPT_ARGS)
{
    u16* const ks = mpt_dynamic + MPT_ROWS * MPT_KS;
    mpt_attend<MPT_QS>(ks, ks + 2 * MPT_K_TILE, mpt_dynamic, q, kh, vt, mask, words, output, lse, tokens, tpad, heads, scale);
}
