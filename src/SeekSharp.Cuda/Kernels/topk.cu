// Exact top-k per row of indexer scores, one block of 1024 threads per row.
//
// Row i of scores [rows, stride] has visible = pos_i + 1 candidates, pos_i = rowPos[i] (paged rows) or startPos + i
// (rowPos null: a contiguous chunk); the rest is the causal -inf and is never read. indices [tokens, k] receives the min(k, visible) positions of the largest visible scores, ties broken
// towards the lower position, sorted ascending, then -1 up to k - the same set as a stable CPU top-k.
//
// Method: scores become order-preserving uint keys (-0 folded onto +0 because the CPU compares them equal).
// A 4-pass MSB radix select (8 bits per pass, shared histogram with warp-aggregated atomics) finds the k-th
// largest key T and how many keys equal to T still belong to the result. One ordered pass then keeps every key
// > T and the first `remaining` keys == T; a block-wide prefix count gives each kept position its output slot,
// so the output comes out already sorted ascending with no sort step.

#define TOPK_THREADS 1024
#define TOPK_WARPS (TOPK_THREADS / 32)
#define TOPK_BINS 256
#define TOPK_LOADS 4   // loads per thread in flight in a histogram pass

// Larger float -> larger key; -0 and +0 share one key.
static __device__ __forceinline__ unsigned topk_key(float f)
{
    unsigned b = __float_as_uint(f);
    if (b == 0x80000000u) b = 0u;
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// grid (rows), block 1024, static shared ~1.3 KB.
extern "C" __global__ void __launch_bounds__(TOPK_THREADS)
topk_rows(const float* __restrict__ scores, int* __restrict__ indices, const int* __restrict__ rowPos, int startPos,
          int stride, int k)
{
    __shared__ unsigned hist[TOPK_BINS];
    __shared__ unsigned warpCounts[TOPK_WARPS];   // per warp: gt count | eq count << 16
    __shared__ unsigned warpBefore[TOPK_WARPS];   // exclusive prefix of warpCounts
    __shared__ unsigned chunkTotal;
    __shared__ unsigned sPrefix, sRemaining;

    const int row = blockIdx.x;
    const int visible = (rowPos != nullptr ? __ldg(rowPos + row) : startPos + row) + 1;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const float* const src = scores + (long long)row * stride;
    int* const dst = indices + (long long)row * k;

    if (visible <= k)
    {
        // every visible key is selected
        for (int j = tid; j < k; j += TOPK_THREADS) dst[j] = j < visible ? j : -1;
        return;
    }

    // ---- radix select: prefix = the k-th largest key, remaining = how many keys equal to it are taken ----
    unsigned prefix = 0u, mask = 0u, remaining = (unsigned)k;
    for (int shift = 24; shift >= 0; shift -= 8)
    {
        for (int b = tid; b < TOPK_BINS; b += TOPK_THREADS) hist[b] = 0u;
        __syncthreads();
        // whole warps iterate together (TOPK_THREADS is a multiple of 32), so the full-mask match is legal
        // TOPK_LOADS independent loads in flight per thread before their histogram updates (a row is latency-bound)
        for (int base = 0; base < visible; base += TOPK_THREADS * TOPK_LOADS)
        {
            float f[TOPK_LOADS];
#pragma unroll
            for (int q = 0; q < TOPK_LOADS; q++)
            {
                const int j = base + q * TOPK_THREADS + tid;
                f[q] = j < visible ? src[j] : 0.0f;
            }
#pragma unroll
            for (int q = 0; q < TOPK_LOADS; q++)
            {
                const int j = base + q * TOPK_THREADS + tid;
                const unsigned u = topk_key(f[q]);
                const bool candidate = j < visible && (u & mask) == prefix;
                const unsigned bin = (u >> shift) & 0xFFu;
                const unsigned peers = __match_any_sync(0xFFFFFFFFu, candidate ? bin : 0x100u);
                if (candidate && lane == __ffs(peers) - 1) atomicAdd(&hist[bin], (unsigned)__popc(peers));
            }
        }
        __syncthreads();
        if (warp == 0)
        {
            // lane l owns bins 255 - 8l .. 248 - 8l (descending); find the bin where the count from the top reaches remaining
            unsigned c[8], local = 0u;
#pragma unroll
            for (int q = 0; q < 8; q++) { c[q] = hist[TOPK_BINS - 1 - 8 * lane - q]; local += c[q]; }
            unsigned inclusive = local;
#pragma unroll
            for (int off = 1; off < 32; off <<= 1)
            {
                const unsigned n = __shfl_up_sync(0xFFFFFFFFu, inclusive, off);
                if (lane >= off) inclusive += n;
            }
            unsigned above = inclusive - local;
            if (above < remaining && remaining <= inclusive)
            {
#pragma unroll
                for (int q = 0; q < 8; q++)
                {
                    if (above < remaining && remaining <= above + c[q])
                    {
                        sPrefix = prefix | ((unsigned)(TOPK_BINS - 1 - 8 * lane - q) << shift);
                        sRemaining = remaining - above;
                    }
                    above += c[q];
                }
            }
        }
        __syncthreads();
        prefix = sPrefix;
        remaining = sRemaining;
        mask |= 0xFFu << shift;
    }

    // ---- ordered compaction: keep keys > T and the first `remaining` keys == T, each at its rank by position ----
    const unsigned threshold = prefix;
    const unsigned greaterWanted = (unsigned)k - remaining;
    const unsigned laneBelow = (1u << lane) - 1u;
    unsigned gtBefore = 0u, eqBefore = 0u;   // kept counts of earlier chunks (uniform over the block)
    float cur = tid < visible ? src[tid] : 0.0f;
    for (int base = 0; base < visible; base += TOPK_THREADS)
    {
        const int j = base + tid;
        const float next = j + TOPK_THREADS < visible ? src[j + TOPK_THREADS] : 0.0f;   // the next chunk's load in flight
        const unsigned u = j < visible ? topk_key(cur) : 0u;
        cur = next;
        const bool gt = j < visible && u > threshold;
        const bool eq = j < visible && u == threshold;
        const unsigned gtBits = __ballot_sync(0xFFFFFFFFu, gt);
        const unsigned eqBits = __ballot_sync(0xFFFFFFFFu, eq);
        if (lane == 0) warpCounts[warp] = (unsigned)__popc(gtBits) | ((unsigned)__popc(eqBits) << 16);
        __syncthreads();
        if (warp == 0)
        {
            // fields stay below 2^16 (at most 1024 per chunk), so packed adds do not carry
            const unsigned v = warpCounts[lane];
            unsigned inclusive = v;
#pragma unroll
            for (int off = 1; off < 32; off <<= 1)
            {
                const unsigned n = __shfl_up_sync(0xFFFFFFFFu, inclusive, off);
                if (lane >= off) inclusive += n;
            }
            warpBefore[lane] = inclusive - v;
            if (lane == 31) chunkTotal = inclusive;
        }
        __syncthreads();
        const unsigned before = warpBefore[warp];
        const unsigned gtRank = gtBefore + (before & 0xFFFFu) + (unsigned)__popc(gtBits & laneBelow);
        const unsigned eqRank = eqBefore + (before >> 16) + (unsigned)__popc(eqBits & laneBelow);
        if (gt || (eq && eqRank < remaining)) dst[gtRank + min(eqRank, remaining)] = j;
        const unsigned total = chunkTotal;
        gtBefore += total & 0xFFFFu;
        eqBefore += total >> 16;
        if (gtBefore == greaterWanted && eqBefore >= remaining) break;   // all k slots written
    }
}
