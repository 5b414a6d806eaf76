// Exact top-k per row of indexer scores: topk_rows (one block of 1024 threads per row, rows of any length) and the
// topk_c<C>_i<ITEMS> family (a cluster of C blocks per row, the row held in registers; see below the first kernel).
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

// Warp 0 of a block: given a 256-bin histogram of the candidates' current digit, finds the bin where the count from
// the top reaches `remaining` (lane l owns bins 255 - 8l .. 248 - 8l) and writes the prefix extended by that digit and
// how many keys of that bin still belong to the result.
static __device__ __forceinline__ void topk_find_bin(const unsigned* bins, unsigned prefix, unsigned remaining, int shift,
    int lane, unsigned& outPrefix, unsigned& outRemaining)
{
    unsigned c[8], local = 0u;
#pragma unroll
    for (int q = 0; q < 8; q++) { c[q] = bins[TOPK_BINS - 1 - 8 * lane - q]; local += c[q]; }
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
                outPrefix = prefix | ((unsigned)(TOPK_BINS - 1 - 8 * lane - q) << shift);
                outRemaining = remaining - above;
            }
            above += c[q];
        }
    }
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
        if (warp == 0) topk_find_bin(hist, prefix, remaining, shift, lane, sPrefix, sRemaining);
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

// ---------------------------------------------------------------------------------------------------------------
// Register-resident rows split over a thread-block cluster: topk_c<C>_i<ITEMS>, grid (C, rows), block 1024.
//
// Block r of the cluster owns positions [r * 1024 * ITEMS, (r + 1) * 1024 * ITEMS) of the row and reads them from
// global memory once, as ITEMS coalesced 1024-wide slots (slot q of thread t = position base + q * 1024 + t), into
// registers as keys. The same 4-pass MSB radix select runs on the keys; each block histograms its own keys and, after a
// cluster barrier, sums the C histograms through distributed shared memory, so every block reaches the same k-th key T
// and remaining count. Warps whose slot holds no candidate skip the histogram update (after the first passes few do).
// Ordered compaction: per slot and warp the kept counts (> T, == T) are scanned over warps, then over slots, then the
// block totals over the cluster ranks below, giving each kept position its output slot with no sort step.
// Capacity is C * 1024 * ITEMS positions per row (the launcher picks a variant covering the row stride).

// Clusters need sm_90; below it only the C = 1 variants exist (the launcher uses no others) and these helpers trap.
static __device__ __forceinline__ unsigned topk_cluster_rank()
{
#if __CUDA_ARCH__ >= 900
    unsigned r;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
    return r;
#else
    __trap();
    return 0u;
#endif
}

// all threads of all blocks of the cluster; orders shared-memory writes before it with reads after it (cluster scope)
static __device__ __forceinline__ void topk_cluster_sync()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("barrier.cluster.arrive.release.aligned;\n\tbarrier.cluster.wait.acquire.aligned;" ::: "memory");
#else
    __trap();
#endif
}

// the word at the same shared-memory offset as p in block `rank` of this cluster
static __device__ __forceinline__ unsigned topk_remote_load(const unsigned* p, unsigned rank)
{
#if __CUDA_ARCH__ >= 900
    const unsigned local = (unsigned)__cvta_generic_to_shared(p);
    unsigned remote, v;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(local), "r"(rank));
    asm volatile("ld.shared::cluster.u32 %0, [%1];" : "=r"(v) : "r"(remote) : "memory");
    return v;
#else
    __trap();
    return 0u;
#endif
}

template <int C>
static __device__ __forceinline__ void topk_block_or_cluster_sync()
{
    if (C > 1) topk_cluster_sync(); else __syncthreads();
}

template <int C, int ITEMS>
static __device__ __forceinline__ void topk_cluster_body(const float* __restrict__ scores, int* __restrict__ indices,
                                                         const int* __restrict__ rowPos, int startPos, int stride, int k)
{
    static_assert(ITEMS <= TOPK_WARPS, "one warp scans one slot");
    __shared__ unsigned hist[2][TOPK_BINS];           // this block's histogram, double-buffered across passes
    __shared__ unsigned total[TOPK_BINS];             // the cluster's histogram
    __shared__ unsigned slotWarp[ITEMS][TOPK_WARPS];  // per slot and warp: kept gt | eq << 16, then the exclusive prefix over warps
    __shared__ unsigned slotBefore[ITEMS];            // exclusive prefix over slots of the slot totals (packed)
    __shared__ unsigned blockTotal;                   // this block's kept gt | eq << 16, read by the higher ranks
    __shared__ unsigned rankTotal[C];
    __shared__ unsigned sPrefix, sRemaining;

    const int row = blockIdx.y;
    const unsigned rank = C > 1 ? topk_cluster_rank() : 0u;
    const int visible = (rowPos != nullptr ? __ldg(rowPos + row) : startPos + row) + 1;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int* const dst = indices + (long long)row * k;

    if (visible <= k)
    {
        // the whole cluster takes this branch (one row per cluster): no barrier is left waiting
        if (rank == 0)
            for (int j = tid; j < k; j += TOPK_THREADS) dst[j] = j < visible ? j : -1;
        return;
    }

    const int begin = (int)rank * (TOPK_THREADS * ITEMS);
    const int lim = visible - begin - tid;   // slot q of this thread is visible iff q * 1024 < lim
    const float* const src = scores + (long long)row * stride + begin + tid;
    unsigned key[ITEMS];
#pragma unroll
    for (int q = 0; q < ITEMS; q++) key[q] = q * TOPK_THREADS < lim ? topk_key(src[q * TOPK_THREADS]) : 0u;

    if (tid < TOPK_BINS) hist[0][tid] = 0u;
    __syncthreads();

    unsigned prefix = 0u, mask = 0u, remaining = (unsigned)k;
#pragma unroll
    for (int pass = 0; pass < 4; pass++)
    {
        const int shift = 24 - 8 * pass;
        unsigned* const h = hist[pass & 1];
#pragma unroll
        for (int q = 0; q < ITEMS; q++)
        {
            if (begin + q * TOPK_THREADS >= visible) break;   // uniform over the block
            const bool candidate = q * TOPK_THREADS < lim && (key[q] & mask) == prefix;
            if (__any_sync(0xFFFFFFFFu, candidate))
            {
                const unsigned bin = (key[q] >> shift) & 0xFFu;
                const unsigned peers = __match_any_sync(0xFFFFFFFFu, candidate ? bin : 0x100u);
                if (candidate && lane == __ffs(peers) - 1) atomicAdd(&h[bin], (unsigned)__popc(peers));
            }
        }
        // every block's histogram of this pass is complete; the other buffer was last read by the other blocks
        // before they arrived here, so it can be cleared for the next pass
        topk_block_or_cluster_sync<C>();
        if (tid < TOPK_BINS)
        {
            unsigned sum = 0u;
            if (C > 1)
            {
#pragma unroll
                for (int r = 0; r < C; r++) sum += topk_remote_load(&h[tid], (unsigned)r);
            }
            else
                sum = h[tid];
            total[tid] = sum;
            hist[(pass + 1) & 1][tid] = 0u;
        }
        __syncthreads();
        if (warp == 0) topk_find_bin(total, prefix, remaining, shift, lane, sPrefix, sRemaining);
        __syncthreads();
        prefix = sPrefix;
        remaining = sRemaining;
        mask |= 0xFFu << shift;
    }

    // ---- ordered compaction: keys > T, and the first `remaining` keys == T in position order ----
    const unsigned threshold = prefix;
#pragma unroll
    for (int q = 0; q < ITEMS; q++)
    {
        const bool valid = q * TOPK_THREADS < lim;
        const unsigned gtBits = __ballot_sync(0xFFFFFFFFu, valid && key[q] > threshold);
        const unsigned eqBits = __ballot_sync(0xFFFFFFFFu, valid && key[q] == threshold);
        if (lane == 0) slotWarp[q][warp] = (unsigned)__popc(gtBits) | ((unsigned)__popc(eqBits) << 16);
    }
    __syncthreads();
    if (warp < ITEMS)
    {
        // warp q scans slot q over the warps; fields stay below 2^16 (at most 1024 * ITEMS per block), no carries
        const unsigned v = slotWarp[warp][lane];
        unsigned inclusive = v;
#pragma unroll
        for (int off = 1; off < 32; off <<= 1)
        {
            const unsigned n = __shfl_up_sync(0xFFFFFFFFu, inclusive, off);
            if (lane >= off) inclusive += n;
        }
        slotWarp[warp][lane] = inclusive - v;
        if (lane == 31) slotBefore[warp] = inclusive;   // the slot total for now
    }
    __syncthreads();
    if (warp == 0)
    {
        const unsigned v = lane < ITEMS ? slotBefore[lane] : 0u;
        unsigned inclusive = v;
#pragma unroll
        for (int off = 1; off < 32; off <<= 1)
        {
            const unsigned n = __shfl_up_sync(0xFFFFFFFFu, inclusive, off);
            if (lane >= off) inclusive += n;
        }
        if (lane < ITEMS) slotBefore[lane] = inclusive - v;
        if (lane == 31) blockTotal = inclusive;
    }
    topk_block_or_cluster_sync<C>();
    unsigned gtBase = 0u, eqBase = 0u;   // kept counts of the lower ranks
    if (C > 1)
    {
        if (tid < C) rankTotal[tid] = topk_remote_load(&blockTotal, (unsigned)tid);
        __syncthreads();
        for (int r = 0; r < C; r++)
        {
            if (r < (int)rank)
            {
                gtBase += rankTotal[r] & 0xFFFFu;
                eqBase += rankTotal[r] >> 16;
            }
        }
    }
    const unsigned laneBelow = (1u << lane) - 1u;
#pragma unroll
    for (int q = 0; q < ITEMS; q++)
    {
        if (begin + q * TOPK_THREADS >= visible) break;   // uniform over the block
        const bool valid = q * TOPK_THREADS < lim;
        const bool gt = valid && key[q] > threshold;
        const bool eq = valid && key[q] == threshold;
        const unsigned gtBits = __ballot_sync(0xFFFFFFFFu, gt);
        const unsigned eqBits = __ballot_sync(0xFFFFFFFFu, eq);
        const unsigned before = slotWarp[q][warp] + slotBefore[q];
        const unsigned gtRank = gtBase + (before & 0xFFFFu) + (unsigned)__popc(gtBits & laneBelow);
        const unsigned eqRank = eqBase + (before >> 16) + (unsigned)__popc(eqBits & laneBelow);
        if (gt || (eq && eqRank < remaining)) dst[gtRank + min(eqRank, remaining)] = begin + q * TOPK_THREADS + tid;
    }
    if (C > 1) topk_cluster_sync();   // blockTotal stays alive until every rank has read it
}

#define TOPK_ARGS const float* __restrict__ scores, int* __restrict__ indices, const int* __restrict__ rowPos, int startPos, \
                  int stride, int k
#define TOPK_BLOCK(ITEMS) \
    extern "C" __global__ void __launch_bounds__(TOPK_THREADS) topk_c1_i##ITEMS(TOPK_ARGS) \
    { topk_cluster_body<1, ITEMS>(scores, indices, rowPos, startPos, stride, k); }
#define TOPK_CLUSTER(C, ITEMS) \
    extern "C" __global__ void __cluster_dims__(C, 1, 1) __launch_bounds__(TOPK_THREADS) topk_c##C##_i##ITEMS(TOPK_ARGS) \
    { topk_cluster_body<C, ITEMS>(scores, indices, rowPos, startPos, stride, k); }

// grid (C, rows), block 1024; capacity C * 1024 * ITEMS positions
TOPK_BLOCK(4)
TOPK_BLOCK(8)
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
TOPK_CLUSTER(2, 8)
TOPK_CLUSTER(4, 8)
TOPK_CLUSTER(8, 8)
TOPK_CLUSTER(8, 16)
TOPK_CLUSTER(8, 24)
#endif
