// Exact top-k per row of indexer scores: topk_rows (one block of 1024 threads per row, rows of any length, streamed
// from memory) and the topk_c<C>_i<ITEMS> family (a cluster of C blocks per row, the row held in registers; see below
// the first kernel).
//
// Row i of scores [rows, stride] has visible = pos_i + 1 candidates, pos_i = rowPos[i] (paged rows) or startPos + i
// (rowPos null: a contiguous chunk); the rest is the causal -inf and is never read. indices [tokens, k] receives the
// min(k, visible) positions of the largest visible scores, ties broken towards the lower position, sorted ascending,
// then -1 up to k - the same set as a stable CPU top-k.
//
// Method: scores become order-preserving uint keys (-0 folded onto +0 because the CPU compares them equal). An MSB
// radix select finds the k-th largest key: a pass histograms one digit of the keys that still match the prefix found so
// far (12, then 10, then 10 bits), and a block-wide scan from the top bin down finds the bin where the count reaches
// the number still wanted. It stops early once that whole bin is wanted, which after the 12-bit pass is common on
// spread scores. One ordered pass then keeps every key above the threshold bin and the first `remaining` keys inside
// it; a block-wide prefix count gives each kept position its output slot, so the output comes out already sorted
// ascending with no sort step. (Round 4's kernels took four 8-bit passes: the first one's bins are a float's sign and
// top exponent bits, so nearly every key of a row met in two or three bins and the shared-memory atomics serialised.)

#define TOPK_THREADS 1024
#define TOPK_WARPS (TOPK_THREADS / 32)
#ifndef TOPK_LOADS
#define TOPK_LOADS 4   // 16-byte loads per thread in flight in a histogram pass of topk_rows (a lab switch)
#endif

// Lab switches (benchmarks/kernel-lab/topk_lab.py --define): the first digit's width (12: passes 12/10/10; 11: 11/11/10;
// 8: four 8-bit passes, round 4's schedule) and the minimum resident blocks per SM asked of topk_rows.
// (Round 4's warps merged equal bins with __match_any_sync before their atomics; over 4096 bins plain atomics measured
// faster, BENCHMARKS.md round 12.)
#ifndef TOPK_FIRST_BITS
#define TOPK_FIRST_BITS 12
#endif
#ifndef TOPK_ROWS_BLOCKS
#define TOPK_ROWS_BLOCKS 2
#endif
#define TOPK_PASSES (TOPK_FIRST_BITS == 8 ? 4 : 3)

// Digit schedule, most significant first: width, shift and histogram offset of each pass (every pass has its own
// histogram, so none is cleared while another block of the cluster may still read it).
static __host__ __device__ constexpr int topk_width(int pass)
{
    return TOPK_FIRST_BITS == 8 ? 8 : TOPK_FIRST_BITS == 11 ? (pass == 2 ? 10 : 11) : (pass == 0 ? 12 : 10);
}
static __host__ __device__ constexpr int topk_shift(int pass)
{
    int s = 32;
    for (int p = 0; p <= pass; p++) s -= topk_width(p);
    return s;
}
static __host__ __device__ constexpr int topk_offset(int pass)
{
    int o = 0;
    for (int p = 0; p < pass; p++) o += 1 << topk_width(p);
    return o;
}
#define TOPK_HIST_WORDS topk_offset(TOPK_PASSES)
static_assert(topk_shift(TOPK_PASSES - 1) == 0, "the digits cover the 32-bit key");
static_assert(TOPK_HIST_WORDS % 4 == 0, "the histograms are zeroed in 16-byte stores");

// Zeroes `words` shared words from p (16-byte aligned, words a multiple of 4) with the whole block's 16-byte stores.
static __device__ __forceinline__ void topk_zero(unsigned* p, int words)
{
    for (int i = threadIdx.x; i < words / 4; i += TOPK_THREADS) reinterpret_cast<uint4*>(p)[i] = make_uint4(0u, 0u, 0u, 0u);
}

// Larger float -> larger key; -0 and +0 share one key.
static __device__ __forceinline__ unsigned topk_key(float f)
{
    unsigned b = __float_as_uint(f);
    if (b == 0x80000000u) b = 0u;
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}


// Clusters need sm_90; below it only C = 1 code exists (the launcher uses no other) and these helpers trap.
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

// the two halves of a cluster barrier (all threads of all blocks of the cluster), for work that can run between them;
// orders shared-memory writes before the arrival with reads after the wait (cluster scope)
static __device__ __forceinline__ void topk_cluster_arrive()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");
#else
    __trap();
#endif
}
static __device__ __forceinline__ void topk_cluster_wait()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");
#else
    __trap();
#endif
}
static __device__ __forceinline__ void topk_cluster_sync()
{
    topk_cluster_arrive();
    topk_cluster_wait();
}

// the address of the word at the same shared-memory offset as p in block `rank` of this cluster
static __device__ __forceinline__ unsigned topk_remote_address(const unsigned* p, unsigned rank)
{
    unsigned remote = 0u;
#if __CUDA_ARCH__ >= 900
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"((unsigned)__cvta_generic_to_shared(p)), "r"(rank));
#else
    __trap();
#endif
    return remote;
}

// stores v to that word
static __device__ __forceinline__ void topk_remote_store(unsigned* p, unsigned rank, unsigned v)
{
#if __CUDA_ARCH__ >= 900
    asm volatile("st.shared::cluster.u32 [%0], %1;" ::"r"(topk_remote_address(p, rank)), "r"(v) : "memory");
#endif
}

// adds v to that word (no reply awaited)
static __device__ __forceinline__ void topk_remote_add(unsigned* p, unsigned rank, unsigned v)
{
#if __CUDA_ARCH__ >= 900
    asm volatile("red.shared::cluster.add.u32 [%0], %1;" ::"r"(topk_remote_address(p, rank)), "r"(v) : "memory");
#endif
}

template <int C>
static __device__ __forceinline__ void topk_block_or_cluster_sync()
{
    if (C > 1) topk_cluster_sync(); else __syncthreads();
}

// Inclusive sum of v over lanes 0..lane (the whole warp calls it).
static __device__ __forceinline__ unsigned topk_warp_scan(unsigned v)
{
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int off = 1; off < 32; off <<= 1)
    {
        const unsigned n = __shfl_up_sync(0xFFFFFFFFu, v, off);
        if (lane >= off) v += n;
    }
    return v;
}

#define TOPK_SCAN_WORDS 65   // topk_block_scan's shared scratch: warp totals, their exclusive prefixes, the sum

// Block-wide exclusive scan of one value per thread in thread order; scan[64] receives the sum. Two barriers; a next call
// may follow at once (it first writes the warp totals, which this call last read before its second barrier).
static __device__ __forceinline__ unsigned topk_block_scan(unsigned v, unsigned* scan)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const unsigned inclusive = topk_warp_scan(v);
    if (lane == 31) scan[warp] = inclusive;
    __syncthreads();
    if (warp == 0)
    {
        const unsigned w = scan[lane];
        const unsigned all = topk_warp_scan(w);
        scan[32 + lane] = all - w;
        if (lane == 31) scan[64] = all;
    }
    __syncthreads();
    return scan[32 + warp] + inclusive - v;
}

// The whole block, once pass PASS's histogram h (the whole row's counts) is complete: scans it from the top bin down,
// writes to sel the prefix extended by the bin where the count reaches `remaining`, how many keys of that bin are still
// wanted and the bin's count, and narrows prefix, mask and remaining to that bin. Returns true when the whole bin is
// wanted (no finer digit needed). Thread t reads bins BINS-1-PER*t down to BINS-PER*(t+1) (one vector load); a
// block-wide exclusive scan gives the count above them.
template <int PASS>
static __device__ __forceinline__ bool topk_narrow(const unsigned* h, unsigned* scan, unsigned* sel, unsigned& prefix,
                                                   unsigned& mask, unsigned& remaining)
{
    constexpr int SHIFT = topk_shift(PASS), BINS = 1 << topk_width(PASS);
    constexpr int PER = BINS > TOPK_THREADS ? BINS / TOPK_THREADS : 1;
    const int first = (int)threadIdx.x * PER;   // this thread's first bin, counted from the top
    static_assert(BINS % PER == 0 && PER <= 4 && (PER & (PER - 1)) == 0, "whole vectors of bins per thread");
    unsigned c[PER], local = 0u;
    const unsigned* const p = h + (BINS - PER - first);   // this thread's lowest bin; c[j] is bin p + PER - 1 - j
    if (first >= BINS)
    {
#pragma unroll
        for (int j = 0; j < PER; j++) c[j] = 0u;
    }
    else if constexpr (PER == 4)
    {
        const uint4 v = *reinterpret_cast<const uint4*>(p);
        c[0] = v.w; c[1] = v.z; c[2] = v.y; c[3] = v.x;
    }
    else if constexpr (PER == 2)
    {
        const uint2 v = *reinterpret_cast<const uint2*>(p);
        c[0] = v.y; c[1] = v.x;
    }
    else
        c[0] = p[0];
#pragma unroll
    for (int j = 0; j < PER; j++) local += c[j];
    unsigned above = topk_block_scan(local, scan);
    if (above < remaining && remaining <= above + local)
    {
#pragma unroll
        for (int j = 0; j < PER; j++)
        {
            if (above < remaining && remaining <= above + c[j])
            {
                sel[0] = prefix | ((unsigned)(BINS - 1 - first - j) << SHIFT);
                sel[1] = remaining - above;
                sel[2] = c[j];
            }
            above += c[j];
        }
    }
    __syncthreads();
    prefix = sel[0];
    remaining = sel[1];
    mask |= (BINS - 1u) << SHIFT;
    return remaining == sel[2];
}

// topk_rows reads a row as 16-byte vectors: vector v holds positions 4v - lead .. 4v - lead + 3, where lead is the
// row start's distance in floats above the 16-byte boundary below it (rows of any stride start anywhere). Vectors wholly
// inside [0, visible) load as one float4; the partial first and last ones load only their visible floats.
static __device__ __forceinline__ float4 topk_load4(const float* __restrict__ aligned, int v, int lead, int visible)
{
    const int p = 4 * v - lead;
    if (p >= 0 && p + 3 < visible) return __ldg(reinterpret_cast<const float4*>(aligned) + v);
    float4 r;
    r.x = p >= 0 && p < visible ? aligned[4 * v] : 0.0f;
    r.y = p + 1 >= 0 && p + 1 < visible ? aligned[4 * v + 1] : 0.0f;
    r.z = p + 2 >= 0 && p + 2 < visible ? aligned[4 * v + 2] : 0.0f;
    r.w = p + 3 < visible ? aligned[4 * v + 3] : 0.0f;
    return r;
}

static __device__ __forceinline__ float topk_lane4(const float4& f, int e)
{
    return e == 0 ? f.x : e == 1 ? f.y : e == 2 ? f.z : f.w;
}

// One pass of topk_rows over the row in global memory; returns true when the whole threshold bin is wanted.
template <int PASS>
static __device__ __forceinline__ bool topk_global_pass(const float* __restrict__ aligned, int lead, int vectors,
                                                        int visible, unsigned* hist, unsigned* scan, unsigned* sel,
                                                        unsigned& prefix, unsigned& mask, unsigned& remaining)
{
    constexpr int SHIFT = topk_shift(PASS), BINS = 1 << topk_width(PASS);
    unsigned* const h = hist + topk_offset(PASS);
    const int tid = threadIdx.x;
    // TOPK_LOADS vectors per thread in flight before their histogram updates (one block streams a whole row)
    for (int base = 0; base < vectors; base += TOPK_THREADS * TOPK_LOADS)
    {
        float4 f[TOPK_LOADS];
#pragma unroll
        for (int q = 0; q < TOPK_LOADS; q++)
        {
            const int v = base + q * TOPK_THREADS + tid;
            f[q] = v < vectors ? topk_load4(aligned, v, lead, visible) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
#pragma unroll
        for (int q = 0; q < TOPK_LOADS; q++)
        {
            const int v = base + q * TOPK_THREADS + tid;
            const int p = 4 * v - lead;
            const bool whole = v < vectors && p >= 0 && p + 3 < visible;   // all four visible: no per-key checks
#pragma unroll
            for (int e = 0; e < 4; e++)
            {
                const unsigned u = topk_key(topk_lane4(f[q], e));
                const bool candidate = (whole || (v < vectors && p + e >= 0 && p + e < visible)) && (u & mask) == prefix;
                if (candidate) atomicAdd(h + ((u >> SHIFT) & (BINS - 1u)), 1u);
            }
        }
    }
    __syncthreads();
    return topk_narrow<PASS>(h, scan, sel, prefix, mask, remaining);
}

// One pass of topk_rows over its candidates in shared memory (key, position); returns true when the whole threshold
// bin is wanted.
template <int PASS>
static __device__ __forceinline__ bool topk_candidate_pass(const uint2* cand, int n, unsigned* hist, unsigned* scan,
                                                           unsigned* sel, unsigned& prefix, unsigned& mask,
                                                           unsigned& remaining)
{
    constexpr int SHIFT = topk_shift(PASS), BINS = 1 << topk_width(PASS);
    unsigned* const h = hist + topk_offset(PASS);
    for (int i = threadIdx.x; i < n; i += TOPK_THREADS)
    {
        const unsigned u = cand[i].x;
        if ((u & mask) == prefix) atomicAdd(h + ((u >> SHIFT) & (BINS - 1u)), 1u);
    }
    __syncthreads();
    return topk_narrow<PASS>(h, scan, sel, prefix, mask, remaining);
}

extern __shared__ uint2 topk_candidates[];   // topk_rows: (key, position) of the keys at or above the first threshold bin

// grid (rows), block 1024, static shared ~25 KB; dynamic shared: room for candidates (8 bytes each; 0 is allowed).
//
// After the first (12-bit) pass the keys above the threshold bin and inside it are known in number: k - remaining + the
// bin's count. When they fit the dynamic shared memory, a second read of the row collects them in position order and
// the finer passes and the output run on that short list (two reads of the row in all); otherwise every pass and the
// output read the row again.
extern "C" __global__ void __launch_bounds__(TOPK_THREADS, TOPK_ROWS_BLOCKS)
topk_rows(const float* __restrict__ scores, int* __restrict__ indices, const int* __restrict__ rowPos, int startPos,
          int stride, int k)
{
    __shared__ __align__(16) unsigned hist[TOPK_HIST_WORDS];
    __shared__ unsigned scan[TOPK_SCAN_WORDS];
    __shared__ unsigned sel[3];

    const int row = blockIdx.x;
    const int visible = (rowPos != nullptr ? __ldg(rowPos + row) : startPos + row) + 1;
    const int tid = threadIdx.x;
    const float* const src = scores + (long long)row * stride;
    int* const dst = indices + (long long)row * k;

    if (visible <= k)
    {
        // every visible key is selected
        for (int j = tid; j < k; j += TOPK_THREADS) dst[j] = j < visible ? j : -1;
        return;
    }

    const int lead = (int)(((unsigned long long)src & 15u) >> 2);
    const float* const aligned = src - lead;
    const int vectors = (visible + lead + 3) >> 2;
    topk_zero(hist, TOPK_HIST_WORDS);
    __syncthreads();
    // ---- radix select: the threshold bin (prefix under mask) and how many of its keys are taken ----
    unsigned prefix = 0u, mask = 0u, remaining = (unsigned)k;
    bool done = topk_global_pass<0>(aligned, lead, vectors, visible, hist, scan, sel, prefix, mask, remaining);
    unsigned capacity;
    asm("mov.u32 %0, %%dynamic_smem_size;" : "=r"(capacity));
    const unsigned listed = (unsigned)k - remaining + sel[2];   // keys above the bin, and the bin's keys
    const bool inShared = !done && listed <= capacity / 8u;

    // ---- one ordered pass over the row: either the output (done, or no room) or the candidate list ----
    // A chunk is 1024 vectors, thread t's four positions precede thread t + 1's, so a block-wide exclusive scan of the
    // per-thread counts ranks every kept position.
    if (!inShared)
    {
        if (!done) done = topk_global_pass<1>(aligned, lead, vectors, visible, hist, scan, sel, prefix, mask, remaining);
        if (!done) done = topk_global_pass<2>(aligned, lead, vectors, visible, hist, scan, sel, prefix, mask, remaining);
#if TOPK_PASSES == 4
        if (!done) done = topk_global_pass<3>(aligned, lead, vectors, visible, hist, scan, sel, prefix, mask, remaining);
#endif
    }
    const unsigned greaterWanted = (unsigned)k - remaining;
    unsigned gtBefore = 0u, eqBefore = 0u;   // kept counts of earlier chunks (uniform over the block)
    float4 cur = tid < vectors ? topk_load4(aligned, tid, lead, visible) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int base = 0; base < vectors; base += TOPK_THREADS)
    {
        const int v = base + tid;
        const float4 next = v + TOPK_THREADS < vectors ? topk_load4(aligned, v + TOPK_THREADS, lead, visible)
                                                       : make_float4(0.0f, 0.0f, 0.0f, 0.0f);   // the next chunk's load in flight
        const int p = 4 * v - lead;
        const bool whole = v < vectors && p >= 0 && p + 3 < visible;
        unsigned key[4], gtMask = 0u, eqMask = 0u;
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            key[e] = topk_key(topk_lane4(cur, e));
            const unsigned u = key[e] & mask;
            const bool valid = whole || (v < vectors && p + e >= 0 && p + e < visible);
            gtMask |= (valid && u > prefix ? 1u : 0u) << e;
            eqMask |= (valid && u == prefix ? 1u : 0u) << e;
        }
        cur = next;
        // fields stay below 2^16 (at most 4096 per chunk), so packed adds do not carry
        const unsigned count = (unsigned)__popc(gtMask) | ((unsigned)__popc(eqMask) << 16);
        const unsigned before = topk_block_scan(count, scan);
        unsigned gtRank = gtBefore + (before & 0xFFFFu), eqRank = eqBefore + (before >> 16);
        if ((gtMask | eqMask) != 0u)
        {
#pragma unroll
            for (int e = 0; e < 4; e++)
            {
                const bool gt = (gtMask >> e) & 1u, eq = (eqMask >> e) & 1u;
                if (inShared)
                {
                    // every key above or inside the bin, in position order
                    if (gt || eq) topk_candidates[gtRank + eqRank] = make_uint2(key[e], (unsigned)(p + e));
                    gtRank += gt;
                    eqRank += eq;
                }
                else if (gt)
                    dst[gtRank++ + min(eqRank, remaining)] = p + e;
                else if (eq)
                {
                    if (eqRank < remaining) dst[gtRank + eqRank] = p + e;
                    eqRank++;
                }
            }
        }
        const unsigned total = scan[64];
        gtBefore += total & 0xFFFFu;
        eqBefore += total >> 16;
        if (gtBefore == greaterWanted && eqBefore >= (inShared ? listed - greaterWanted : remaining))
            break;   // all k slots written, or every candidate listed
    }
    if (!inShared) return;

    // ---- the finer passes and the output on the candidate list ----
    __syncthreads();
    const int n = (int)listed;
    done = topk_candidate_pass<1>(topk_candidates, n, hist, scan, sel, prefix, mask, remaining);
    if (!done) done = topk_candidate_pass<2>(topk_candidates, n, hist, scan, sel, prefix, mask, remaining);
#if TOPK_PASSES == 4
    if (!done) done = topk_candidate_pass<3>(topk_candidates, n, hist, scan, sel, prefix, mask, remaining);
#endif
    gtBefore = 0u;
    eqBefore = 0u;
    for (int base = 0; base < n; base += TOPK_THREADS)
    {
        const int i = base + tid;
        const uint2 c = i < n ? topk_candidates[i] : make_uint2(0u, 0u);
        const unsigned u = c.x & mask;
        const bool gt = i < n && u > prefix, eq = i < n && u == prefix;
        const unsigned before = topk_block_scan((gt ? 1u : 0u) | (eq ? 1u << 16 : 0u), scan);
        const unsigned gtRank = gtBefore + (before & 0xFFFFu), eqRank = eqBefore + (before >> 16);
        if (gt || (eq && eqRank < remaining)) dst[gtRank + min(eqRank, remaining)] = (int)c.y;
        const unsigned total = scan[64];
        gtBefore += total & 0xFFFFu;
        eqBefore += total >> 16;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Register-resident rows split over a thread-block cluster: topk_c<C>_i<ITEMS>, grid (C, rows), block 1024.
//
// Block r of the cluster owns positions [r * 1024 * ITEMS, (r + 1) * 1024 * ITEMS) of the row and reads them from
// global memory once, as ITEMS coalesced 1024-wide slots (slot q of thread t = position base + q * 1024 + t), into
// registers as keys. The same radix select runs on the keys; each block histograms its own keys, adds the non-empty
// bins into every block's copy of the pass's histogram (distributed shared memory), and after a cluster barrier scans
// its copy, so every block reaches the same threshold bin and remaining count (and the same early stop). Ordered
// compaction: per slot and warp the kept counts (above the bin, inside it) are scanned over warps, then over slots,
// then the block totals over the cluster ranks below, giving each kept position its output slot with no sort step;
// a slot whose warp keeps nothing (most of them) costs one vote.
// Capacity is C * 1024 * ITEMS positions per row (the launcher picks a variant covering the row stride).

// One pass over the keys held in registers; returns true when the whole threshold bin is wanted. With C = 1 the
// block's histogram is the row's. With C > 1 each block counts into its own histogram `local`, then pushes the non-empty
// bins into this pass's `total` of every block of the cluster (remote adds, so the traffic grows with the bins in use,
// not with all 4096) and clears them for the next pass; after a cluster barrier every block holds the row's histogram.
// The first pass waits on the cluster barrier the kernel arrived at after zeroing the totals.
template <int PASS, int C, int ITEMS>
static __device__ __forceinline__ bool topk_register_pass(const unsigned (&key)[ITEMS], int begin, int lim, int visible,
                                                          unsigned* local, unsigned* totals, unsigned* scan,
                                                          unsigned* sel, unsigned& prefix, unsigned& mask,
                                                          unsigned& remaining)
{
    constexpr int SHIFT = topk_shift(PASS), BINS = 1 << topk_width(PASS);
    unsigned* const total = totals + topk_offset(PASS);
    unsigned* const h = C > 1 ? local : total;
#pragma unroll
    for (int q = 0; q < ITEMS; q++)
    {
        if (begin + q * TOPK_THREADS >= visible) break;   // uniform over the block
        const bool candidate = q * TOPK_THREADS < lim && (key[q] & mask) == prefix;
        if (candidate) atomicAdd(h + ((key[q] >> SHIFT) & (BINS - 1u)), 1u);
    }
    __syncthreads();
    if (C > 1)
    {
        if (PASS == 0) topk_cluster_wait();   // every block's totals are zero
        constexpr int PER = BINS > TOPK_THREADS ? BINS / TOPK_THREADS : 1;
        const int first = threadIdx.x * PER;
        if (first < BINS)
        {
#pragma unroll
            for (int j = 0; j < PER; j++)
            {
                const unsigned v = local[first + j];
                if (v == 0u) continue;
                local[first + j] = 0u;   // only this thread reads the bin; the next pass counts after the barrier below
#pragma unroll
                for (int r = 0; r < C; r++) topk_remote_add(total + first + j, (unsigned)r, v);
            }
        }
        topk_cluster_sync();
    }
    return topk_narrow<PASS>(total, scan, sel, prefix, mask, remaining);
}

template <int C, int ITEMS>
static __device__ __forceinline__ void topk_cluster_body(const float* __restrict__ scores, int* __restrict__ indices,
                                                         const int* __restrict__ rowPos, int startPos, int stride, int k)
{
    static_assert(ITEMS <= TOPK_WARPS, "one warp scans one slot");
    __shared__ __align__(16) unsigned totals[TOPK_HIST_WORDS];   // the row's histograms, one per pass
    __shared__ __align__(16) unsigned local[C > 1 ? 1 << TOPK_FIRST_BITS : 4];   // this block's counts of the current pass (C > 1)
    __shared__ unsigned scan[TOPK_SCAN_WORDS];
    __shared__ unsigned sel[3];
    __shared__ unsigned slotWarp[ITEMS][TOPK_WARPS];  // per slot and warp: kept gt | eq << 16, then the exclusive prefix over warps
    __shared__ unsigned slotBefore[ITEMS];            // exclusive prefix over slots of the slot totals (packed)
    __shared__ unsigned rankTotal[C];                 // kept gt | eq << 16 of each lower rank, stored here by that rank

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

    topk_zero(totals, TOPK_HIST_WORDS);
    if (C > 1)
    {
        topk_zero(local, 1 << TOPK_FIRST_BITS);
        topk_cluster_arrive();   // the first pass waits before its remote adds: every block's totals are zero by then
    }
    __syncthreads();

    unsigned prefix = 0u, mask = 0u, remaining = (unsigned)k;
    bool done = topk_register_pass<0, C, ITEMS>(key, begin, lim, visible, local, totals, scan, sel, prefix, mask,
                                                remaining);
    if (!done)
        done = topk_register_pass<1, C, ITEMS>(key, begin, lim, visible, local, totals, scan, sel, prefix, mask,
                                               remaining);
    if (!done)
        done = topk_register_pass<2, C, ITEMS>(key, begin, lim, visible, local, totals, scan, sel, prefix, mask,
                                               remaining);
#if TOPK_PASSES == 4
    if (!done)
        done = topk_register_pass<3, C, ITEMS>(key, begin, lim, visible, local, totals, scan, sel, prefix, mask,
                                               remaining);
#endif

    // ---- ordered compaction: keys above the threshold bin, and the first `remaining` keys inside it ----
    // few keys are kept (k of up to 192K), so a warp's slot usually has none: one vote settles it
#pragma unroll
    for (int q = 0; q < ITEMS; q++)
    {
        const bool valid = q * TOPK_THREADS < lim;
        const unsigned u = key[q] & mask;
        const unsigned keptBits = __ballot_sync(0xFFFFFFFFu, valid && u >= prefix);
        unsigned packed = 0u;
        if (keptBits != 0u)
        {
            const unsigned gtBits = __ballot_sync(0xFFFFFFFFu, valid && u > prefix);
            packed = (unsigned)__popc(gtBits) | ((unsigned)__popc(keptBits & ~gtBits) << 16);
        }
        if (lane == 0) slotWarp[q][warp] = packed;
    }
    __syncthreads();
    if (warp < ITEMS)
    {
        // warp q scans slot q over the warps; fields stay below 2^16 (at most 1024 * ITEMS per block), no carries
        const unsigned v = slotWarp[warp][lane];
        const unsigned inclusive = topk_warp_scan(v);
        slotWarp[warp][lane] = inclusive - v;
        if (lane == 31) slotBefore[warp] = inclusive;   // the slot total for now
    }
    __syncthreads();
    if (warp == 0)
    {
        const unsigned v = lane < ITEMS ? slotBefore[lane] : 0u;
        const unsigned inclusive = topk_warp_scan(v);
        if (lane < ITEMS) slotBefore[lane] = inclusive - v;
        if (C > 1 && lane == 31)   // this block's totals, to every higher rank (no rank reads another after the barrier)
            for (unsigned r = rank + 1; r < (unsigned)C; r++) topk_remote_store(&rankTotal[rank], r, inclusive);
    }
    topk_block_or_cluster_sync<C>();
    unsigned gtBase = 0u, eqBase = 0u;   // kept counts of the lower ranks
    if (C > 1)
    {
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
        const unsigned u = key[q] & mask;
        const unsigned keptBits = __ballot_sync(0xFFFFFFFFu, valid && u >= prefix);
        if (keptBits == 0u) continue;   // uniform over the warp
        const bool gt = valid && u > prefix;
        const bool eq = valid && u == prefix;
        const unsigned gtBits = __ballot_sync(0xFFFFFFFFu, gt);
        const unsigned eqBits = keptBits & ~gtBits;
        const unsigned before = slotWarp[q][warp] + slotBefore[q];
        const unsigned gtRank = gtBase + (before & 0xFFFFu) + (unsigned)__popc(gtBits & laneBelow);
        const unsigned eqRank = eqBase + (before >> 16) + (unsigned)__popc(eqBits & laneBelow);
        if (gt || (eq && eqRank < remaining)) dst[gtRank + min(eqRank, remaining)] = begin + q * TOPK_THREADS + tid;
    }
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
