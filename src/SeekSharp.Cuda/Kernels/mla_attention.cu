// MLA attention over selected (or all causal) keys, in the two forms of IComputeDevice:
//
//   mla_prefill  (MHA form):  s_j = (q_nope . k_nope_j + q_pe . k_pe_j) * scale,  p = bf16(softmax(s)),
//                             out[i, h, :] = bf16(sum_j p_j * v_j)
//   mla_absorbed (MQA form):  qa = bf16(W_UK^T q_nope),  s_j = (qa . latent_j + q_pe . k_pe_j) * scale,
//                             p = bf16(softmax(s)),  o_lat = bf16(sum_j p_j * latent_j),  out[i, h, d] = bf16(W_UV[d] . o_lat)
//
// The softmax is exact fp32 with the final max and sum: p_j = bf16(exp(s_j - max) / sum). Scores of the first
// chunk of keys stay in shared memory; longer (dense) key lists recompute scores in later passes instead of
// storing them, so any context length works. Key slot j of query i maps to position indices[i, j] (-1 = unused
// slot, contributes nothing) or, without indices, to j itself for j <= the query's position. A query with no
// usable key gets zeros (the CPU's empty softmax). With lse != null both kernels also write
// lse[i, h] = max + ln(sum) (natural log of sum_j exp(s_j) over the used keys; -inf without any), from the softmax's
// own max and sum; null writes nothing.

#define MLA_THREADS 256
#define MLA_WARPS (MLA_THREADS / 32)
#define MLA_MAX_PER_LANE 8        // prefill: nope + rope <= 256 and v <= 256 (8 values per lane)
#define MLA_PREFILL_CACHE 2048    // prefill: scores kept in shared memory
#define MLA_HG 8                  // absorbed: heads per block (share every key load)
#define MLA_MAX_LORA_PER_THREAD 4 // absorbed: kvLora <= 1024

// Position of key slot j (-1: unused).
static __device__ __forceinline__ int mla_key(const int* __restrict__ idxRow, int j)
{
    return idxRow != nullptr ? __ldg(idxRow + j) : j;
}

// p_j from a score; a head without any finite score (no usable key) gets p = 0.
static __device__ __forceinline__ float mla_prob(float s, float max, float sum)
{
    return max == SS_NEG_INF ? 0.0f : bf16_round(expf(s - max) / sum);
}

// ------------------------------------------------------------------------------------------------------------
// Prefill, MHA form. grid (heads, tokens), block 256, static shared ~17 KB.
// q [tokens, heads, nope + rope]; kvb [tokens, heads, nope + v]; ropeKeys [>= tokens, rope];
// indices [tokens, indexWidth] or null (keys 0..i); output [tokens, heads, v]; lse [tokens, heads] or null.
// ------------------------------------------------------------------------------------------------------------

// Score of key position s for head h: whole warp, value returned in every lane.
static __device__ __forceinline__ float mla_prefill_score(const float* __restrict__ qs, const float* __restrict__ kvb,
    const float* __restrict__ ropeKeys, int s, int h, int heads, int nope, int rope, int kvWidth, float scale, int lane)
{
    const float* const kn = kvb + ((long long)s * heads + h) * kvWidth;
    const float* const kp = ropeKeys + (long long)s * rope;
    float a = 0.0f, b = 0.0f;
    for (int d = lane; d < nope; d += 32) a = fmaf(qs[d], __ldg(kn + d), a);
    for (int d = lane; d < rope; d += 32) b = fmaf(qs[nope + d], __ldg(kp + d), b);
    return (warp_sum(a) + warp_sum(b)) * scale;
}

extern "C" __global__ void __launch_bounds__(MLA_THREADS)
mla_prefill(const float* __restrict__ q, const float* __restrict__ kvb, const float* __restrict__ ropeKeys,
            const int* __restrict__ indices, float* __restrict__ output, float* __restrict__ lse,
            int indexWidth, int heads, int nope, int rope, int v, float scale)
{
    __shared__ float qs[MLA_MAX_PER_LANE * 32];             // q of this (token, head)
    __shared__ float sc[MLA_PREFILL_CACHE];                  // scores of key slots < 2048
    __shared__ float partial[MLA_WARPS][MLA_MAX_PER_LANE * 32];
    __shared__ float red[MLA_WARPS];

    const int h = blockIdx.x, i = blockIdx.y;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int qk = nope + rope, kvWidth = nope + v;
    const int* const idxRow = indices != nullptr ? indices + (long long)i * indexWidth : nullptr;
    const int keys = indices != nullptr ? indexWidth : i + 1;

    for (int d = tid; d < qk; d += MLA_THREADS) qs[d] = q[((long long)i * heads + h) * qk + d];
    __syncthreads();

    // pass 1: scores (cached for the first slots) and their max; warp w takes slots w, w + 8, ...
    float max = SS_NEG_INF;
    for (int j = warp; j < keys; j += MLA_WARPS)
    {
        const int s = mla_key(idxRow, j);
        const float x = s < 0 ? SS_NEG_INF
            : mla_prefill_score(qs, kvb, ropeKeys, s, h, heads, nope, rope, kvWidth, scale, lane);
        if (j < MLA_PREFILL_CACHE && lane == 0) sc[j] = x;
        max = fmaxf(max, x);
    }
    if (lane == 0) red[warp] = max;
    __syncthreads();
    max = red[0];
#pragma unroll
    for (int w = 1; w < MLA_WARPS; w++) max = fmaxf(max, red[w]);
    __syncthreads();

    // pass 2: sum of exp(s - max) over the same slot-to-warp mapping (the cached scores were written by this warp)
    float sum = 0.0f;
    if (max != SS_NEG_INF)
    {
        for (int j = warp; j < keys; j += MLA_WARPS)
        {
            const int s = mla_key(idxRow, j);
            if (s < 0) continue;
            const float x = j < MLA_PREFILL_CACHE ? sc[j]
                : mla_prefill_score(qs, kvb, ropeKeys, s, h, heads, nope, rope, kvWidth, scale, lane);
            sum += expf(x - max);
        }
    }
    if (lane == 0) red[warp] = sum;
    __syncthreads();
    sum = 0.0f;
#pragma unroll
    for (int w = 0; w < MLA_WARPS; w++) sum += red[w];
    if (lse != nullptr && tid == 0) lse[(long long)i * heads + h] = softmax_lse(max, sum);

    // pass 3: o = sum_j p_j v_j, warps split the slots, lanes the v dims
    float acc[MLA_MAX_PER_LANE];
#pragma unroll
    for (int c = 0; c < MLA_MAX_PER_LANE; c++) acc[c] = 0.0f;
    for (int j = warp; j < keys; j += MLA_WARPS)
    {
        const int s = mla_key(idxRow, j);
        if (s < 0) continue;
        const float x = j < MLA_PREFILL_CACHE ? sc[j]
            : mla_prefill_score(qs, kvb, ropeKeys, s, h, heads, nope, rope, kvWidth, scale, lane);
        const float p = mla_prob(x, max, sum);
        const float* const vr = kvb + ((long long)s * heads + h) * kvWidth + nope;
#pragma unroll
        for (int c = 0; c < MLA_MAX_PER_LANE; c++)
        {
            const int d = lane + 32 * c;
            if (d < v) acc[c] = fmaf(p, __ldg(vr + d), acc[c]);
        }
    }
#pragma unroll
    for (int c = 0; c < MLA_MAX_PER_LANE; c++)
    {
        const int d = lane + 32 * c;
        if (d < v) partial[warp][d] = acc[c];
    }
    __syncthreads();
    for (int d = tid; d < v; d += MLA_THREADS)
    {
        float o = 0.0f;
#pragma unroll
        for (int w = 0; w < MLA_WARPS; w++) o += partial[w][d];
        output[((long long)i * heads + h) * v + d] = bf16_round(o);
    }
}

// ------------------------------------------------------------------------------------------------------------
// Absorbed (MQA) form. grid (ceil(heads / 8), tokens), block 256; 8 heads per block share every latent row.
// q [tokens, heads, nope + rope]; wkvb [heads, nope + v, kvLora] (rows 0..nope-1 = W_UK, then W_UV);
// latent [>= end, kvLora]; ropeKeys [>= end, rope]; indices [tokens, indexWidth] or null (keys 0..startPos+i);
// output [tokens, heads, v]; lse [tokens, heads] or null.
// Dynamic shared (floats): qa [8][kvLora + rope] | olat [8][max(kvLora, nope)] | pc [chunk][8], where chunk
// (the launcher's choice, >= 1) is how many key slots' scores fit at once.
// ------------------------------------------------------------------------------------------------------------

// A stored bf16 value as fp32: the latent cache and wkv_b hold F32 (bf16 values) or BF16.
static __device__ __forceinline__ float mla_value(const float* p) { return __ldg(p); }
static __device__ __forceinline__ float mla_value(const u16* p) { return bf16_to_float(__ldg(p)); }

// Scores of key slots [c0, c0 + n) for the block's 8 heads into pc[(j - c0) * 8 + hh]; warp per slot.
template <typename K>
static __device__ void mla_abs_scores(const float* __restrict__ qa, const K* __restrict__ latent,
    const K* __restrict__ ropeKeys, const int* __restrict__ idxRow, float* __restrict__ pc,
    int c0, int n, int lora, int rope, float scale, int lane, int warp)
{
    const int width = lora + rope;
    for (int jj = warp; jj < n; jj += MLA_WARPS)
    {
        const int s = mla_key(idxRow, c0 + jj);
        float a[MLA_HG];
#pragma unroll
        for (int hh = 0; hh < MLA_HG; hh++) a[hh] = 0.0f;
        if (s >= 0)
        {
            const K* const lr = latent + (long long)s * lora;
            for (int c = lane; c < lora; c += 32)
            {
                const float x = mla_value(lr + c);
#pragma unroll
                for (int hh = 0; hh < MLA_HG; hh++) a[hh] = fmaf(qa[hh * width + c], x, a[hh]);
            }
            const K* const kp = ropeKeys + (long long)s * rope;
            for (int c = lane; c < rope; c += 32)
            {
                const float x = mla_value(kp + c);
#pragma unroll
                for (int hh = 0; hh < MLA_HG; hh++) a[hh] = fmaf(qa[hh * width + lora + c], x, a[hh]);
            }
        }
#pragma unroll
        for (int hh = 0; hh < MLA_HG; hh++)
        {
            const float x = s < 0 ? SS_NEG_INF : warp_sum(a[hh]) * scale;   // s is warp-uniform
            if (lane == hh) pc[jj * MLA_HG + hh] = x;
        }
    }
}

// Combines per-thread values of head (tid % 8) over the block: lanes l, l+8, l+16, l+24 by shuffles, then warps.
static __device__ __forceinline__ float mla_abs_reduce(float v, bool isMax, float* red, int lane, int warp)
{
    for (int off = 8; off < 32; off <<= 1)
    {
        const float o = __shfl_xor_sync(0xFFFFFFFFu, v, off);
        v = isMax ? fmaxf(v, o) : v + o;
    }
    if (lane < MLA_HG) red[warp * MLA_HG + lane] = v;
    __syncthreads();
    const int hh = lane & (MLA_HG - 1);
    v = red[hh];
    for (int w = 1; w < MLA_WARPS; w++) v = isMax ? fmaxf(v, red[w * MLA_HG + hh]) : v + red[w * MLA_HG + hh];
    __syncthreads();
    return v;   // for head tid % 8, in every thread
}

template <typename K>
static __device__ __forceinline__ void mla_absorbed_impl(const float* __restrict__ q, const K* __restrict__ wkvb,
    const K* __restrict__ latent, const K* __restrict__ ropeKeys, const int* __restrict__ indices, float* __restrict__ output,
    float* __restrict__ lse, int indexWidth, int startPos, int heads, int nope, int rope, int v, int lora, int chunk, float scale)
{
    extern __shared__ float4 mla_smem4[];
    __shared__ float red[MLA_WARPS * MLA_HG];
    const int width = lora + rope;
    float* const qa = reinterpret_cast<float*>(mla_smem4);          // [8][lora + rope]
    float* const olat = qa + MLA_HG * width;                         // [8][max(lora, nope)], q_nope staging first
    float* const pc = olat + MLA_HG * max(lora, nope);               // [chunk][8] scores, then probabilities

    const int g = blockIdx.x, i = blockIdx.y;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

    const int qk = nope + rope, kvWidth = nope + v;
    const int* const idxRow = indices != nullptr ? indices + (long long)i * indexWidth : nullptr;
    const int keys = indices != nullptr ? indexWidth : startPos + i + 1;
    const int chunks = (keys + chunk - 1) / chunk;

    // q_nope into olat (staging), q_pe into the tail of qa; heads past the end are zeros
    for (int e = tid; e < MLA_HG * qk; e += MLA_THREADS)
    {
        const int hh = e / qk, d = e - hh * qk, h = g * MLA_HG + hh;
        const float x = h < heads ? q[((long long)i * heads + h) * qk + d] : 0.0f;
        if (d < nope) olat[hh * nope + d] = x;
        else qa[hh * width + lora + (d - nope)] = x;
    }
    __syncthreads();

    // qa[hh][c] = bf16(sum_d W_UK[h][d][c] * q_nope[hh][d]); threads over c read W rows coalesced, the 8 heads'
    // chains interleave (each sums over d in order)
    for (int c = tid; c < lora; c += MLA_THREADS)
    {
        float a[MLA_HG];
        const K* wk[MLA_HG];
#pragma unroll
        for (int hh = 0; hh < MLA_HG; hh++)
        {
            a[hh] = 0.0f;
            wk[hh] = wkvb + (long long)min(g * MLA_HG + hh, heads - 1) * kvWidth * lora + c;
        }
#pragma unroll 4
        for (int d = 0; d < nope; d++)
        {
#pragma unroll
            for (int hh = 0; hh < MLA_HG; hh++)
                a[hh] = fmaf(mla_value(wk[hh] + (long long)d * lora), olat[hh * nope + d], a[hh]);
        }
#pragma unroll
        for (int hh = 0; hh < MLA_HG; hh++)
            qa[hh * width + c] = g * MLA_HG + hh < heads ? bf16_round(a[hh]) : 0.0f;
    }
    __syncthreads();

    // pass 1: max per head. Chunks in reverse so that chunk 0 stays in pc afterwards.
    float max = SS_NEG_INF;
    for (int ch = chunks - 1; ch >= 0; ch--)
    {
        const int c0 = ch * chunk, n = min(chunk, keys - c0);
        mla_abs_scores(qa, latent, ropeKeys, idxRow, pc, c0, n, lora, rope, scale, lane, warp);
        __syncthreads();
        for (int e = tid; e < n * MLA_HG; e += MLA_THREADS) max = fmaxf(max, pc[e]);
        __syncthreads();
    }
    max = mla_abs_reduce(max, true, red, lane, warp);

    // pass 2: sum of exp(s - max) per head
    float sum = 0.0f;
    for (int ch = 0; ch < chunks; ch++)
    {
        const int c0 = ch * chunk, n = min(chunk, keys - c0);
        if (ch > 0)
        {
            mla_abs_scores(qa, latent, ropeKeys, idxRow, pc, c0, n, lora, rope, scale, lane, warp);
            __syncthreads();
        }
        if (max != SS_NEG_INF)
            for (int e = tid; e < n * MLA_HG; e += MLA_THREADS)
            {
                const float x = pc[e];
                if (x != SS_NEG_INF) sum += expf(x - max);
            }
        __syncthreads();
    }
    sum = mla_abs_reduce(sum, false, red, lane, warp);
    if (lse != nullptr && tid < MLA_HG && g * MLA_HG + tid < heads)   // max and sum are head tid % 8's
        lse[(long long)i * heads + g * MLA_HG + tid] = softmax_lse(max, sum);

    // pass 3: o_lat[hh][c] = sum_j p[hh]_j * latent_j[c]; each thread owns latent columns c = tid + 256 r for all 8 heads
    float acc[MLA_HG][MLA_MAX_LORA_PER_THREAD];
#pragma unroll
    for (int hh = 0; hh < MLA_HG; hh++)
#pragma unroll
        for (int r = 0; r < MLA_MAX_LORA_PER_THREAD; r++) acc[hh][r] = 0.0f;
    for (int ch = 0; ch < chunks; ch++)
    {
        const int c0 = ch * chunk, n = min(chunk, keys - c0);
        if (chunks > 1)
        {
            // with one chunk pc still holds its scores; otherwise pass 2 left the last chunk there
            mla_abs_scores(qa, latent, ropeKeys, idxRow, pc, c0, n, lora, rope, scale, lane, warp);
            __syncthreads();
        }
        for (int e = tid; e < n * MLA_HG; e += MLA_THREADS) pc[e] = mla_prob(pc[e], max, sum);
        __syncthreads();
#pragma unroll 4
        for (int jj = 0; jj < n; jj++)
        {
            const int s = mla_key(idxRow, c0 + jj);   // same for the whole block
            if (s < 0) continue;
            const float4 pa = reinterpret_cast<const float4*>(pc)[jj * 2];
            const float4 pb = reinterpret_cast<const float4*>(pc)[jj * 2 + 1];
            const float p[MLA_HG] = { pa.x, pa.y, pa.z, pa.w, pb.x, pb.y, pb.z, pb.w };
            const K* const lr = latent + (long long)s * lora;
#pragma unroll
            for (int r = 0; r < MLA_MAX_LORA_PER_THREAD; r++)
            {
                const int c = tid + MLA_THREADS * r;
                if (c < lora)
                {
                    const float x = mla_value(lr + c);
#pragma unroll
                    for (int hh = 0; hh < MLA_HG; hh++) acc[hh][r] = fmaf(p[hh], x, acc[hh][r]);
                }
            }
        }
        __syncthreads();   // before the next chunk overwrites pc
    }
#pragma unroll
    for (int r = 0; r < MLA_MAX_LORA_PER_THREAD; r++)
    {
        const int c = tid + MLA_THREADS * r;
        if (c < lora)
#pragma unroll
            for (int hh = 0; hh < MLA_HG; hh++) olat[hh * lora + c] = bf16_round(acc[hh][r]);
    }
    __syncthreads();

    // out[i, h, d] = bf16(W_UV[h][d] . o_lat[hh]); warp per output row, lanes over the latent
    for (int row = warp; row < MLA_HG * v; row += MLA_WARPS)
    {
        const int hh = row / v, d = row - hh * v, h = g * MLA_HG + hh;
        if (h >= heads) continue;   // warp-uniform
        const K* const wv = wkvb + ((long long)h * kvWidth + nope + d) * lora;
        float a = 0.0f;
        for (int c = lane; c < lora; c += 32) a = fmaf(mla_value(wv + c), olat[hh * lora + c], a);
        a = warp_sum(a);
        if (lane == 0) output[((long long)i * heads + h) * v + d] = bf16_round(a);
    }
}

// wkvb and the cache as F32 (bf16 values) or all three as BF16 (mla_absorbed_bf16): same arguments otherwise.
extern "C" __global__ void __launch_bounds__(MLA_THREADS)
mla_absorbed(const float* __restrict__ q, const float* __restrict__ wkvb, const float* __restrict__ latent,
             const float* __restrict__ ropeKeys, const int* __restrict__ indices, float* __restrict__ output,
             float* __restrict__ lse, int indexWidth, int startPos, int heads, int nope, int rope, int v, int lora, int chunk,
             float scale)
{
    mla_absorbed_impl(q, wkvb, latent, ropeKeys, indices, output, lse, indexWidth, startPos, heads, nope, rope, v, lora, chunk,
                      scale);
}

extern "C" __global__ void __launch_bounds__(MLA_THREADS)
mla_absorbed_bf16(const float* __restrict__ q, const u16* __restrict__ wkvb, const u16* __restrict__ latent,
                  const u16* __restrict__ ropeKeys, const int* __restrict__ indices, float* __restrict__ output,
                  float* __restrict__ lse, int indexWidth, int startPos, int heads, int nope, int rope, int v, int lora, int chunk,
                  float scale)
{
    mla_absorbed_impl(q, wkvb, latent, ropeKeys, indices, output, lse, indexWidth, startPos, heads, nope, rope, v, lora, chunk,
                      scale);
}
