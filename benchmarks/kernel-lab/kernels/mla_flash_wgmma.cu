// Kernel lab only (not embedded in SeekSharp.Cuda): absorbed sparse MLA, flash form, on Hopper's warpgroup tensor
// cores (wgmma, sm_90a). Compiled after common.cuh and Kernels/mla_absorbed_tc.cu (mtc_stage_row, MtcKeys). Same arguments and math as mla_flash_mma.cu's mla_abs_flash (read that file's header);
// kv_lora must be 512. grid (ceil(heads / 64), splits, T), block 256 = two warpgroups, one block per SM.
// Results, and why it is not in the engine yet: mla_flash_lab.h200.txt.
//
// Both warpgroups compute the same S = Q K^T of a 32-key tile (m64n32k16, Q and K from shared memory), so each holds
// whole rows and needs nobody's maxima: the softmax runs on the fragments and P goes straight from the accumulators
// into the A registers of O += P V (m64n256k16); warpgroup w owns latent columns 256w..256w+255 (128 fp32 registers).
// (Splitting the k-steps between the warpgroups and trading partial sums through shared memory measured slower: the
// extra barrier per tile costs more than the halved S work.)
//
// Shared tiles are bf16 rows of 128-byte pieces (64 columns) with the 16-byte units of row r XOR-ed by r % 8
// ("128B swizzle"): element (r, c) of a [rows][kw] tile sits at byte (c / 64) * rows * 128 + r * 128 +
// (((c / 8) % 8) ^ (r % 8)) * 16 + (c % 8) * 2. Q and K are read K-major (S: 8-row groups 1024 bytes apart); the same
// key tile is V read N-major (PV: 8-key groups 1024 bytes apart, 64-column pieces rows * 128 bytes apart).
// Dynamic shared (from a 1024-aligned base): Q [64 rows] | K [2][32 rows] | DIRECT: F32 staging [32][kw].

#define MFW_THREADS 256
#define MFW_HEADS 64
#define MFW_TILE 32
#define MFW_LORA 512          // the PV shape is fixed: two warpgroups x 256 columns
#define MFW_MAX_KW 576

extern __shared__ float4 mfw_dyn[];

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

// byte offset of the 16-byte unit holding columns 8u..8u+7 of row r in a swizzled [rows][*] tile
static __device__ __forceinline__ u32 mfw_unit(int r, int u, int rows)
{
    return (u32)((u >> 3) * rows * 128 + r * 128 + (((u & 7) ^ (r & 7)) << 4));
}

// d (64 x 32 fp32) (+)= A (64 x 16, shared) * B (32 x 16, shared), both K-major
static __device__ __forceinline__ void mfw_mma_s(float (&d)[16], u64 da, u64 db, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, %16, %17, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "l"(da), "l"(db), "r"(accumulate));
}

template <bool DIRECT>
static __device__ __forceinline__ void mfw_body(const u16* __restrict__ qa, const MtcKeys keys,
    const float* __restrict__ latent, const float* __restrict__ ropeKeys, int rope, const int* __restrict__ indices,
    float* __restrict__ out, float* __restrict__ stats, int indexWidth, int startPos, int gathered, int heads, int kw,
    int splitSlots, float scale)
{
    __shared__ int used[2][MFW_TILE];
    const int lora = MFW_LORA;
    const u32 raw = smem_addr(mfw_dyn);
    const u32 base = (raw + 1023u) & ~1023u;   // swizzled tiles need 1024-byte alignment
    u8* const dyn = reinterpret_cast<u8*>(mfw_dyn) + (base - raw);
    const int chunks = (kw + 63) >> 6;
    const u32 qBytes = (u32)(MFW_HEADS * 128 * chunks), kBytes = (u32)(MFW_TILE * 128 * chunks);
    u8* const qs = dyn;
    u8* const ks = dyn + qBytes;                                       // [2] key tiles
    float* const stage = reinterpret_cast<float*>(dyn + qBytes + 2 * kBytes);   // DIRECT

    const int t = blockIdx.z, split = blockIdx.y, splits = gridDim.y, hb = blockIdx.x * MFW_HEADS;
    const int tid = threadIdx.x, lane = tid & 31, wg = tid >> 7, wi = (tid >> 5) & 3, g = lane >> 2, tc = lane & 3;
    const int* const idxRow = indices != nullptr ? indices + (long long)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : startPos + t + 1;
    const long long gbase = gathered ? (long long)t * indexWidth : -1;
    const int j0 = split * splitSlots, j1 = min(j0 + splitSlots, count);
    const int ntiles = j1 > j0 ? (j1 - j0 + MFW_TILE - 1) / MFW_TILE : 0;
    const int nks = kw >> 4;

    // loads: thread -> tile row sr, pieces tid % 8 + 8i (16 bytes: 8 bf16 or 4 F32)
    const int sr = tid >> 3;
    bool rowOk = false;
    // the slot indices of this thread's row run one tile ahead of the loads, so a load never waits for its index
    auto slotIndex = [&](int it) -> int
    {
        const int j = j0 + it * MFW_TILE + sr;
        return idxRow != nullptr && it < ntiles && j < j1 ? __ldg(idxRow + j) : j;
    };
    int nextIndex = slotIndex(0);
    auto slotRow = [&](int it, bool& ok) -> long long   // cache row of slot jt + sr (ok: a used slot)
    {
        const int j = j0 + it * MFW_TILE + sr, pos = nextIndex;
        nextIndex = slotIndex(it + 1);
        ok = j < j1 && pos >= 0;
        return !ok ? 0 : gbase >= 0 ? gbase + j : pos;
    };
    auto issue = [&](int it)   // tile it: F32 rows into staging (DIRECT) or bf16 rows into K[it % 2]; one group
    {
        bool ok;
        const long long row = slotRow(it, ok);
        if (DIRECT)
        {
            mtc_stage_row(stage + sr * kw, latent, ropeKeys, lora, rope, kw, row, ok, tid);
            rowOk = ok;
        }
        else
        {
            u8* const tile = ks + (it & 1) * kBytes;
            const u16* const latRow = keys.lat + row * keys.latStride;
            const u16* const ropeRow = keys.rope + row * keys.ropeStride - keys.lora;
            for (int p = tid & 7; p < (kw >> 3); p += 8)
            {
                const int c = 8 * p;
                const bool inRow = c < keys.ropeEnd;
                cp_async16(smem_addr(tile + mfw_unit(sr, p, MFW_TILE)), c < keys.lora ? latRow + c : inRow ? ropeRow + c : keys.lat,
                           ok && inRow ? 16 : 0);
            }
            if ((tid & 7) == 0) used[it & 1][sr] = ok ? 1 : 0;
        }
        cp_async_commit();
    };
    auto convert = [&](int it)   // DIRECT: this thread's staged pieces of tile it -> bf16 K[it % 2]
    {
        const float* const src = stage + sr * kw;
        u8* const tile = ks + (it & 1) * kBytes;
        for (int p = tid & 7; p < (kw >> 2); p += 8)
        {
            const float4 x = *reinterpret_cast<const float4*>(src + 4 * p);
            *reinterpret_cast<uint2*>(tile + mfw_unit(sr, p >> 1, MFW_TILE) + (p & 1) * 8) =
                make_uint2(pack_bf16x2(x.x, x.y), pack_bf16x2(x.z, x.w));
        }
        if ((tid & 7) == 0) used[it & 1][sr] = rowOk ? 1 : 0;
    };

    // Q rows (heads past the end read as zeros), in the same group as tile 0
    for (int e = tid; e < MFW_HEADS * (kw >> 3); e += MFW_THREADS)
    {
        const int r = e / (kw >> 3), p = e - r * (kw >> 3);
        const bool ok = hb + r < heads;
        cp_async16(smem_addr(qs + mfw_unit(r, p, MFW_HEADS)), qa + ((long long)t * heads + (ok ? hb + r : 0)) * kw + 8 * p, ok ? 16 : 0);
    }
    if (ntiles > 0) issue(0);
    else cp_async_commit();
    asm volatile("cp.async.wait_all;" ::: "memory");
    if (DIRECT && ntiles > 0) convert(0);
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // generic-proxy writes -> visible to wgmma
    __syncthreads();
    if (ntiles > 1) issue(1);

    float o[128];
#pragma unroll
    for (int i = 0; i < 128; i++) o[i] = 0.0f;
    float mA = SS_NEG_INF, mB = SS_NEG_INF, lA = 0.0f, lB = 0.0f;   // rows 16wi + g and + 8
    const u32 qAddr = smem_addr(qs), kAddr0 = smem_addr(ks);

    for (int it = 0; it < ntiles; it++)
    {
        const u32 kAddr = kAddr0 + (it & 1) * kBytes;
        const int* const u = used[it & 1];

        // S = Q K^T over the whole row (both warpgroups)
        float s[16];
#pragma unroll
        for (int i = 0; i < 16; i++) s[i] = 0.0f;
        wgmma_pin(s);
        wgmma_fence();
#ifndef MFW_DIAG_NO_S   // lab switches: leave a stage out to time the rest
#pragma unroll
        for (int kk = 0; kk < MFW_MAX_KW / 16; kk++)
            if (kk < nks)
                mfw_mma_s(s, wgmma_desc_sw128(qAddr + (kk >> 2) * (MFW_HEADS * 128) + (kk & 3) * 32, 16, 1024),
                          wgmma_desc_sw128(kAddr + (kk >> 2) * (MFW_TILE * 128) + (kk & 3) * 32, 16, 1024), kk);
#endif
        wgmma_commit();
        wgmma_wait<0>();
        wgmma_pin(s);

        // online softmax on the fragments: s[4j + e] = (row g or g + 8 for e >= 2, key 8j + 2tc + e % 2)
        float mxA = SS_NEG_INF, mxB = SS_NEG_INF;
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                const bool ok = u[8 * j + 2 * tc + e] != 0;
                s[4 * j + e] = ok ? s[4 * j + e] * scale : SS_NEG_INF;
                s[4 * j + e + 2] = ok ? s[4 * j + e + 2] * scale : SS_NEG_INF;
                mxA = fmaxf(mxA, s[4 * j + e]);
                mxB = fmaxf(mxB, s[4 * j + e + 2]);
            }
#pragma unroll
        for (int off = 1; off < 4; off <<= 1)
        {
            mxA = fmaxf(mxA, __shfl_xor_sync(0xFFFFFFFFu, mxA, off));
            mxB = fmaxf(mxB, __shfl_xor_sync(0xFFFFFFFFu, mxB, off));
        }
        const float nA = fmaxf(mA, mxA), nB = fmaxf(mB, mxB);
        const float alphaA = mA == SS_NEG_INF ? 0.0f : expf(mA - nA);
        const float alphaB = mB == SS_NEG_INF ? 0.0f : expf(mB - nB);
        mA = nA;
        mB = nB;
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                s[4 * j + e] = nA == SS_NEG_INF ? 0.0f : expf(s[4 * j + e] - nA);   // exp(-inf) = 0: unused slots
                s[4 * j + e + 2] = nB == SS_NEG_INF ? 0.0f : expf(s[4 * j + e + 2] - nB);
                lA = e == 0 && j == 0 ? lA * alphaA + s[0] : lA + s[4 * j + e];
                lB = e == 0 && j == 0 ? lB * alphaB + s[2] : lB + s[4 * j + e + 2];
            }
        if (__any_sync(0xFFFFFFFFu, alphaA != 1.0f || alphaB != 1.0f))
        {
#pragma unroll
            for (int j = 0; j < 32; j++)
            {
                o[4 * j] *= alphaA;
                o[4 * j + 1] *= alphaA;
                o[4 * j + 2] *= alphaB;
                o[4 * j + 3] *= alphaB;
            }
        }

        // O += P V: A registers of keys 16kk.. = accumulator blocks 2kk (keys +2tc) and 2kk + 1 (keys +8 +2tc)
        wgmma_pin(o);
        wgmma_fence();
#ifndef MFW_DIAG_NO_PV
#pragma unroll
        for (int kk = 0; kk < MFW_TILE / 16; kk++)
        {
            const u32 a[4] = { pack_bf16x2(s[8 * kk], s[8 * kk + 1]), pack_bf16x2(s[8 * kk + 2], s[8 * kk + 3]),
                               pack_bf16x2(s[8 * kk + 4], s[8 * kk + 5]), pack_bf16x2(s[8 * kk + 6], s[8 * kk + 7]) };
            wgmma_bf16_mn(o, a, wgmma_desc_sw128(kAddr + 4 * wg * (MFW_TILE * 128) + kk * 2048, MFW_TILE * 128, 1024));
        }
#endif
        wgmma_commit();

        // while PV runs: tile it + 1 lands (DIRECT: is converted, and tile it + 2 starts into the staging pieces)
        asm volatile("cp.async.wait_all;" ::: "memory");
        if (DIRECT && it + 1 < ntiles)
        {
            convert(it + 1);
            if (it + 2 < ntiles) issue(it + 2);
        }
        wgmma_wait<0>();
        wgmma_pin(o);
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        __syncthreads();   // K[it % 2] is free, K[(it + 1) % 2] complete
        if (!DIRECT && it + 2 < ntiles) issue(it + 2);
    }

#pragma unroll
    for (int off = 1; off < 4; off <<= 1)
    {
        lA += __shfl_xor_sync(0xFFFFFFFFu, lA, off);
        lB += __shfl_xor_sync(0xFFFFFFFFu, lB, off);
    }
    const int hA = hb + 16 * wi + g, hB = hA + 8;
    const int c0 = wg * 256 + 2 * tc;
#pragma unroll
    for (int r8 = 0; r8 < 2; r8++)
    {
        const int h = r8 ? hB : hA;
        const float l = r8 ? lB : lA;
        if (h >= heads) continue;
        if (splits == 1)
        {
            float* const orow = out + ((long long)t * heads + h) * lora + c0;
#pragma unroll
            for (int j = 0; j < 32; j++)
            {
                const float x = l > 0.0f ? o[4 * j + 2 * r8] / l : 0.0f, y = l > 0.0f ? o[4 * j + 2 * r8 + 1] / l : 0.0f;
                *reinterpret_cast<float2*>(orow + 8 * j) = make_float2(bf16_round(x), bf16_round(y));
            }
        }
        else
        {
            const long long row = ((long long)t * splits + split) * heads + h;
            float* const orow = out + row * lora + c0;
#pragma unroll
            for (int j = 0; j < 32; j++)
                *reinterpret_cast<float2*>(orow + 8 * j) = make_float2(o[4 * j + 2 * r8], o[4 * j + 2 * r8 + 1]);
            if (wg == 0 && tc == 0) *reinterpret_cast<float2*>(stats + 2 * row) = make_float2(r8 ? mB : mA, l);
        }
    }
}

#endif   // __CUDA_ARCH_FEAT_SM90_ALL

// Arguments as mla_abs_flash / mla_abs_flash_direct (kv_lora = 512; kw <= 576).
extern "C" __global__ void __launch_bounds__(MFW_THREADS, 1)
mla_abs_flash_wg(const u16* __restrict__ qa, const u16* __restrict__ kc, const int* __restrict__ indices,
                 float* __restrict__ out, float* __restrict__ stats,
                 int indexWidth, int startPos, int gathered, int heads, int kw, int lora, int splitSlots, float scale)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    mfw_body<false>(qa, MtcKeys{ kc, kc + lora, kw, kw, lora, kw }, nullptr, nullptr, 0, indices, out, stats, indexWidth,
                    startPos, gathered, heads, kw, splitSlots, scale);
#else
    __trap();   // MlaLauncher launches it on sm_90a only
#endif
}

extern "C" __global__ void __launch_bounds__(MFW_THREADS, 1)
mla_abs_flash_wg_direct(const u16* __restrict__ qa, const float* __restrict__ latent, const float* __restrict__ ropeKeys,
                        int lora, int rope, const int* __restrict__ indices, float* __restrict__ out, float* __restrict__ stats,
                        int indexWidth, int heads, int kw, int splitSlots, float scale)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    mfw_body<true>(qa, MtcKeys{}, latent, ropeKeys, rope, indices, out, stats, indexWidth, 0, 0, heads, kw, splitSlots, scale);
#else
    __trap();
#endif
}

// Keys straight from a bf16 cache (latent [*, 512], ropeKeys [*, rope], the engine's GPU layout), rows named by
// indices [T, indexWidth] (required): no staging, the 16-byte pieces go by cp.async into the swizzled tiles.
extern "C" __global__ void __launch_bounds__(MFW_THREADS, 1)
mla_abs_flash_wg_cache(const u16* __restrict__ qa, const u16* __restrict__ latent, const u16* __restrict__ ropeKeys,
                       int rope, const int* __restrict__ indices, float* __restrict__ out, float* __restrict__ stats,
                       int indexWidth, int heads, int kw, int splitSlots, float scale)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    mfw_body<false>(qa, MtcKeys{ latent, ropeKeys, MFW_LORA, rope, MFW_LORA, MFW_LORA + rope }, nullptr, nullptr, rope,
                    indices, out, stats, indexWidth, 0, 0, heads, kw, splitSlots, scale);
#else
    __trap();
#endif
}
