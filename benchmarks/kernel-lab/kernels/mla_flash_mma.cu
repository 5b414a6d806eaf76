// Kernel lab only (not embedded in SeekSharp.Cuda): the mma.sync form of a fused sparse MLA ("flash": scores, online
// softmax and the weighted sum in one kernel, split-K partials merged by mla_abs_flash_combine). Compiled after
// common.cuh and Kernels/mla_absorbed_tc.cu, whose helpers (mtc_*) and constants it uses. Results and why it is not in
// the engine yet: mla_flash_lab.h200.txt.
// ------------------------------------------------------------------------------------------------------------
// Fused sparse attention (flash form). grid (ceil(heads / 64), splits, T), block 256, one block per SM.
// Block (head group, split, t) runs key slots [split * splitSlots, +splitSlots) and [0, count) of query t for 64
// heads in tiles of 32: S = qa * K^T (fp32), online softmax, O += bf16(exp(S - m)) * V with V = the latent part of
// the same bf16 key rows. Warp (hg = warp % 4, kh = warp / 4) scores heads 16hg.. x keys 16kh.. of a tile and
// accumulates heads 16hg.. x latent columns kh * lora/2.. (128 fp32 registers); the two warps of a head group trade
// their row maxima and share their halves of P through shared memory and a 64-thread named barrier.
// One split (gridDim.y == 1): out = olat [T, heads, lora] = bf16(O / l). Several: out = opart [T, splits, heads,
// lora] = O (relative to the split's running max m) and stats [T, splits, heads, 2] = (m, l), for mla_abs_flash_combine.
// Rounding differs from mla_abs_prob's in one place: p is rounded to bf16 before, not after, the division by the sum
// (as FlashMLA does); the products stay exact.
// Dynamic shared: Q [64][kw + 8] | K [2][32][kw + 8] | P [64][40] bf16 | DIRECT: staging [32][kw] F32.
// DIRECT reads the F32 cache rows (latent [*, lora] | ropeKeys [*, rope]) of each slot's index; otherwise kc holds bf16
// rows (gathered: row t * width + j; else the key position).
// ------------------------------------------------------------------------------------------------------------
#define MTF_HEADS 64

static __device__ __forceinline__ void mtf_pair_sync(int hg) { asm volatile("bar.sync %0, 64;" :: "r"(1 + hg) : "memory"); }

template <bool DIRECT>
static __device__ __forceinline__ void mtf_body(const u16* __restrict__ qa, const u16* __restrict__ kc,
    const float* __restrict__ latent, const float* __restrict__ ropeKeys, int lora, int rope,
    const int* __restrict__ indices, float* __restrict__ out, float* __restrict__ stats,
    int indexWidth, int startPos, int gathered, int heads, int kw, int splitSlots, float scale)
{
    __shared__ int used[2][MTC_TILE];
    __shared__ float xch[2][MTF_HEADS];   // the pair's row maxima (then sums), by key half
    const int qstride = kw + 8, tileElems = MTC_TILE * qstride;
    u16* const qs = reinterpret_cast<u16*>(mtc_dyn);
    u16* const ks = qs + MTF_HEADS * qstride;
    u16* const ps = ks + 2 * tileElems;
    float* const stage = reinterpret_cast<float*>(ps + MTF_HEADS * MTC_PSTRIDE);
    const int t = blockIdx.z, split = blockIdx.y, splits = gridDim.y, hb = blockIdx.x * MTF_HEADS;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, tc = lane & 3;
    const int hg = warp & 3, kh = warp >> 2;
    const int* const idxRow = indices != nullptr ? indices + (long long)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : startPos + t + 1;
    const long long gbase = gathered ? (long long)t * indexWidth : -1;
    const int j0 = split * splitSlots, j1 = min(j0 + splitSlots, count);
    const int ntiles = j1 > j0 ? (j1 - j0 + MTC_TILE - 1) / MTC_TILE : 0;
    const int nks = kw >> 4, half = lora >> 1, ntw = lora >> 4;

    // DIRECT: this thread's row of a tile (slot jt + sr) and its 16-byte pieces tid % 8 + 8i (4 floats each)
    const int sr = tid >> 3, pieces = kw >> 2;
    bool rowOk = false;   // DIRECT: whether the staged row is a used slot (published at conversion)
    auto issue = [&](int it)   // tile it: F32 rows into the staging tile (DIRECT) or bf16 rows into K[it % 2]; one group
    {
        const int jt = j0 + it * MTC_TILE;
        if (DIRECT)
        {
            int pos;
            const bool ok = mtc_slot(idxRow, jt + sr, j1, pos);
            mtc_stage_row(stage + sr * kw, latent, ropeKeys, lora, rope, kw, ok ? pos : 0, ok, tid);
            rowOk = ok;
            cp_async_commit();
        }
        else
            mtc_load_keys(ks + (it & 1) * tileElems, used[it & 1], qstride, MtcKeys{ kc, kc + lora, kw, kw, lora, kw }, 0, kw, idxRow, j1, gbase, jt, tid);
    };
    auto convert = [&](int it)   // DIRECT: this thread's staged pieces of tile it -> bf16 K[it % 2]
    {
        const float* const src = stage + sr * kw;
        u16* const dst = ks + (it & 1) * tileElems + sr * qstride;
        for (int p = tid & 7; p < pieces; p += 8)
        {
            const float4 x = *reinterpret_cast<const float4*>(src + 4 * p);
            *reinterpret_cast<uint2*>(dst + 4 * p) = make_uint2(pack_bf16x2(x.x, x.y), pack_bf16x2(x.z, x.w));
        }
        if ((tid & 7) == 0) used[it & 1][sr] = rowOk ? 1 : 0;
    };

    // Q rows (heads past the end read as zeros), with tile 0 in the same group
    {
        const int qp = kw >> 3;
        for (int e = tid; e < MTF_HEADS * qp; e += MTC_THREADS)
        {
            const int r = e / qp, p = e - r * qp;
            const bool ok = hb + r < heads;
            const u16* const src = qa + ((long long)t * heads + (ok ? hb + r : 0)) * kw + 8 * p;
            cp_async16(smem_addr(qs + r * qstride + 8 * p), src, ok ? 16 : 0);
        }
    }
    if (ntiles > 0) issue(0);
    else cp_async_commit();
    asm volatile("cp.async.wait_group 0;" ::: "memory");
    if (DIRECT && ntiles > 0) convert(0);
    __syncthreads();
    if (ntiles > 1) issue(1);

    float o[MTC_MAX_LORA / 16][4];
#pragma unroll
    for (int nt = 0; nt < MTC_MAX_LORA / 16; nt++)
#pragma unroll
        for (int k = 0; k < 4; k++) o[nt][k] = 0.0f;
    float mA = SS_NEG_INF, mB = SS_NEG_INF, lA = 0.0f, lB = 0.0f;   // rows g and g + 8 of this warp's 16 heads
    const int rA = 16 * hg + g, rB = rA + 8;

    // ldmatrix lane rows. A (row-major 16x16): rows +0/+8, then k +0/+8. S's B (keys as n): keys +0/+8 last.
    // PV's B (transposed key rows): k +0/+8, then n +0/+8.
    const int aRow = (lane & 7) + ((lane >> 3) & 1) * 8, aCol = (lane >> 4) * 8;
    const int keyOff = (lane & 7) + (lane >> 4) * 8, colOff = ((lane >> 3) & 1) * 8;
    const u32 qAddr = smem_addr(qs + (16 * hg + aRow) * qstride + aCol);
    const u32 pAddr = smem_addr(ps + (16 * hg + aRow) * MTC_PSTRIDE + aCol);

    for (int it = 0; it < ntiles; it++)
    {
        const u16* const tile = ks + (it & 1) * tileElems;
        const int* const u = used[it & 1];

        // S: heads 16hg.. x keys 16kh.. of the tile
        float s[2][4];
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
            for (int k = 0; k < 4; k++) s[i][k] = 0.0f;
        const u32 kAddr = smem_addr(tile + (16 * kh + keyOff) * qstride + colOff);
#pragma unroll
        for (int kk = 0; kk < MTC_MAX_KW / 16; kk++)
        {
            if (kk < nks)
            {
                u32 a0, a1, a2, a3, b0, b1, b2, b3;
                ldsm_x4(qAddr + 32 * kk, a0, a1, a2, a3);
                ldsm_x4(kAddr + 32 * kk, b0, b1, b2, b3);
                mma_bf16_16816(s[0], a0, a1, a2, a3, b0, b1);
                mma_bf16_16816(s[1], a0, a1, a2, a3, b2, b3);
            }
        }

        // online softmax: scale, mask unused slots, the pair's common row max, p = exp(s - m)
        float mxA = SS_NEG_INF, mxB = SS_NEG_INF;
#pragma unroll
        for (int nt = 0; nt < 2; nt++)
#pragma unroll
            for (int k = 0; k < 2; k++)
            {
                const bool ok = u[16 * kh + 8 * nt + 2 * tc + k] != 0;
                s[nt][k] = ok ? s[nt][k] * scale : SS_NEG_INF;
                s[nt][k + 2] = ok ? s[nt][k + 2] * scale : SS_NEG_INF;
                mxA = fmaxf(mxA, s[nt][k]);
                mxB = fmaxf(mxB, s[nt][k + 2]);
            }
#pragma unroll
        for (int off = 1; off < 4; off <<= 1)
        {
            mxA = fmaxf(mxA, __shfl_xor_sync(0xFFFFFFFFu, mxA, off));
            mxB = fmaxf(mxB, __shfl_xor_sync(0xFFFFFFFFu, mxB, off));
        }
        if (tc == 0)
        {
            xch[kh][rA] = mxA;
            xch[kh][rB] = mxB;
        }
        mtf_pair_sync(hg);
        const float nA = fmaxf(mA, fmaxf(xch[0][rA], xch[1][rA]));
        const float nB = fmaxf(mB, fmaxf(xch[0][rB], xch[1][rB]));
        const float alphaA = mA == SS_NEG_INF ? 0.0f : MTC_EXP(mA - nA);
        const float alphaB = mB == SS_NEG_INF ? 0.0f : MTC_EXP(mB - nB);
        mA = nA;
        mB = nB;
        float sumA = 0.0f, sumB = 0.0f;
#pragma unroll
        for (int nt = 0; nt < 2; nt++)
        {
#pragma unroll
            for (int k = 0; k < 2; k++)
            {
                s[nt][k] = nA == SS_NEG_INF ? 0.0f : MTC_EXP(s[nt][k] - nA);   // exp(-inf) = 0 for unused slots
                s[nt][k + 2] = nB == SS_NEG_INF ? 0.0f : MTC_EXP(s[nt][k + 2] - nB);
                sumA += s[nt][k];
                sumB += s[nt][k + 2];
            }
            const int col = 16 * kh + 8 * nt + 2 * tc;
            *reinterpret_cast<u32*>(ps + rA * MTC_PSTRIDE + col) = pack_bf16x2(s[nt][0], s[nt][1]);
            *reinterpret_cast<u32*>(ps + rB * MTC_PSTRIDE + col) = pack_bf16x2(s[nt][2], s[nt][3]);
        }
        lA = lA * alphaA + sumA;
        lB = lB * alphaB + sumB;
        if (__any_sync(0xFFFFFFFFu, alphaA != 1.0f || alphaB != 1.0f))
        {
#pragma unroll
            for (int nt = 0; nt < MTC_MAX_LORA / 16; nt++)
            {
                o[nt][0] *= alphaA;
                o[nt][1] *= alphaA;
                o[nt][2] *= alphaB;
                o[nt][3] *= alphaB;
            }
        }
        mtf_pair_sync(hg);   // the pair's P halves are written

        // O[heads 16hg.., columns kh * lora/2..] += P (16 x 32) * V (32 x lora/2)
#pragma unroll
        for (int kk = 0; kk < MTC_TILE / 16; kk++)
        {
            u32 a0, a1, a2, a3;
            ldsm_x4(pAddr + 32 * kk, a0, a1, a2, a3);
            const u32 vAddr = smem_addr(tile + (16 * kk + aRow) * qstride + kh * half + aCol);
#pragma unroll
            for (int p = 0; p < MTC_MAX_LORA / 32; p++)
            {
                if (2 * p < ntw)
                {
                    u32 b0, b1, b2, b3;   // columns 16p..16p+7 -> (b0, b1), +8.. -> (b2, b3)
                    ldsm_x4_trans(vAddr + 32 * p, b0, b1, b2, b3);
                    mma_bf16_16816(o[2 * p], a0, a1, a2, a3, b0, b1);
                    mma_bf16_16816(o[2 * p + 1], a0, a1, a2, a3, b2, b3);
                }
            }
        }

        // next tile: landed (this thread's pieces), converted, visible; then the one after starts loading
        asm volatile("cp.async.wait_group 0;" ::: "memory");
        if (DIRECT && it + 1 < ntiles) convert(it + 1);
        __syncthreads();
        if (it + 2 < ntiles) issue(it + 2);
    }

    // row sums over the pair (each lane summed its own slots)
#pragma unroll
    for (int off = 1; off < 4; off <<= 1)
    {
        lA += __shfl_xor_sync(0xFFFFFFFFu, lA, off);
        lB += __shfl_xor_sync(0xFFFFFFFFu, lB, off);
    }
    if (tc == 0)
    {
        xch[kh][rA] = lA;
        xch[kh][rB] = lB;
    }
    mtf_pair_sync(hg);
    lA = xch[0][rA] + xch[1][rA];
    lB = xch[0][rB] + xch[1][rB];

    const int hA = hb + rA, hB = hb + rB;
    const int c0 = kh * half + 2 * tc;
    if (splits == 1)
    {
#pragma unroll
        for (int r8 = 0; r8 < 2; r8++)
        {
            const int h = r8 ? hB : hA;
            const float l = r8 ? lB : lA;
            if (h >= heads) continue;
            float* const orow = out + ((long long)t * heads + h) * lora + c0;
#pragma unroll
            for (int nt = 0; nt < MTC_MAX_LORA / 16; nt++)
                if (nt < ntw)
                {
                    const float x = l > 0.0f ? o[nt][2 * r8] / l : 0.0f, y = l > 0.0f ? o[nt][2 * r8 + 1] / l : 0.0f;
                    *reinterpret_cast<float2*>(orow + 8 * nt) = make_float2(bf16_round(x), bf16_round(y));
                }
        }
        return;
    }
#pragma unroll
    for (int r8 = 0; r8 < 2; r8++)
    {
        const int h = r8 ? hB : hA;
        if (h >= heads) continue;
        const long long row = ((long long)t * splits + split) * heads + h;
        float* const orow = out + row * lora + c0;
#pragma unroll
        for (int nt = 0; nt < MTC_MAX_LORA / 16; nt++)
            if (nt < ntw) *reinterpret_cast<float2*>(orow + 8 * nt) = make_float2(o[nt][2 * r8], o[nt][2 * r8 + 1]);
        if (kh == 0 && tc == 0) *reinterpret_cast<float2*>(stats + 2 * row) = make_float2(r8 ? mB : mA, r8 ? lB : lA);
    }
}

// kc [rows, kw] bf16 (gathered: row t * indexWidth + j; else the key position); indices [T, indexWidth] or null
// (slots = positions 0..startPos + t).
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 1)
mla_abs_flash(const u16* __restrict__ qa, const u16* __restrict__ kc, const int* __restrict__ indices,
              float* __restrict__ out, float* __restrict__ stats,
              int indexWidth, int startPos, int gathered, int heads, int kw, int lora, int splitSlots, float scale)
{
    mtf_body<false>(qa, kc, nullptr, nullptr, lora, 0, indices, out, stats, indexWidth, startPos, gathered, heads, kw,
                    splitSlots, scale);
}

// Keys straight from the F32 cache rows named by indices [T, indexWidth] (required).
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 1)
mla_abs_flash_direct(const u16* __restrict__ qa, const float* __restrict__ latent, const float* __restrict__ ropeKeys,
                     int lora, int rope, const int* __restrict__ indices, float* __restrict__ out, float* __restrict__ stats,
                     int indexWidth, int heads, int kw, int splitSlots, float scale)
{
    mtf_body<true>(qa, nullptr, latent, ropeKeys, lora, rope, indices, out, stats, indexWidth, 0, 0, heads, kw,
                   splitSlots, scale);
}

// olat[t, h, :] = bf16(sum_s opart[t, s, h, :] e^(m_s - M) / L), M = max_s m_s, L = sum_s l_s e^(m_s - M) (splits in
// order; zeros for a head that saw no key). grid (heads, T), block 128; splits <= MTF_MAX_SPLITS.
#define MTF_MAX_SPLITS 128
extern "C" __global__ void __launch_bounds__(128)
mla_abs_flash_combine(const float* __restrict__ opart, const float* __restrict__ stats, float* __restrict__ olat,
                      int heads, int lora, int splits)
{
    __shared__ float2 ml[MTF_MAX_SPLITS];
    __shared__ float w[MTF_MAX_SPLITS];
    const int h = blockIdx.x, t = blockIdx.y, tid = threadIdx.x;
    const float2* const st = reinterpret_cast<const float2*>(stats) + (long long)t * splits * heads + h;
    for (int s = tid; s < splits; s += 128) ml[s] = st[(long long)s * heads];
    __syncthreads();
    float m = SS_NEG_INF, l = 0.0f;   // every thread folds the same list in the same order
    for (int s = 0; s < splits; s++) m = fmaxf(m, ml[s].x);
    for (int s = 0; s < splits; s++) l += ml[s].x == SS_NEG_INF ? 0.0f : ml[s].y * MTC_EXP(ml[s].x - m);
    for (int s = tid; s < splits; s += 128) w[s] = ml[s].x == SS_NEG_INF ? 0.0f : MTC_EXP(ml[s].x - m);
    __syncthreads();
    const float* const base = opart + ((long long)t * splits * heads + h) * lora;
    float* const orow = olat + ((long long)t * heads + h) * lora;
    for (int c = 4 * tid; c < lora; c += 512)
    {
        float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 8
        for (int s = 0; s < splits; s++)   // every split wrote its partial sums (zeros when it saw no key)
        {
            const float4 x = __ldg(reinterpret_cast<const float4*>(base + (long long)s * heads * lora + c));
            acc.x += x.x * w[s];
            acc.y += x.y * w[s];
            acc.z += x.z * w[s];
            acc.w += x.w * w[s];
        }
        const bool any = l > 0.0f;
        *reinterpret_cast<float4*>(orow + c) = make_float4(any ? bf16_round(acc.x / l) : 0.0f, any ? bf16_round(acc.y / l) : 0.0f,
                                                           any ? bf16_round(acc.z / l) : 0.0f, any ? bf16_round(acc.w / l) : 0.0f);
    }
}
