// Lightning indexer scores (the reference fp8_index) on FP8 tensor cores (sm_89+; the file compiles to trapping stubs
// below sm_89, where the launcher uses indexer.cu). Same contract as indexer.cu's indexer_scores:
//
//   scores[i, s] = scale(r) * sum_h max(0, sum_d q8[i,h,d]*key(r)[d]) * weights[i,h]   for s <= pos_i
//   scores[i, s] = -inf                                                              for pos_i < s < maxEnd
//
// r = the pool row of position s of row i's sequence: table[seq * tableWidth + s / blockSize] * blockSize +
// s % blockSize, or s when table is null; pos_i = rowPos[i] (startPos + i when null); seq_i = rowSeq[i] (0 when
// null). e4m3 x e4m3 products are exact in fp32; the tensor core sums each 32-product k-step before adding it to
// the fp32 accumulator, so only the summation order (and its rounding) differs from the CPU.

// Position of query row i.
__device__ __forceinline__ int itc_row_pos(const int* __restrict__ rowPos, int startPos, int i)
{
    return rowPos != nullptr ? __ldg(rowPos + i) : startPos + i;
}

// Pool row of position p of sequence seq.
__device__ __forceinline__ long long itc_pool_row(const int* __restrict__ table, int tableWidth, int blockSize, int seq, int p)
{
    if (table == nullptr) return p;
    const int b = p / blockSize;
    return (long long)__ldg(table + (long long)seq * tableWidth + b) * blockSize + (p - b * blockSize);
}

// ---- indexer_scores_tc1 / indexer_scores_tc8: 64 heads x 128 dims ----------------------------------------------
//
// A block of 8 warps owns QG query rows of one sequence (QG = 1 for decode, 8 for prefill: every key tile brought to
// shared memory then serves 8 queries) and a chunk of keys. Keys stream through a 4-stage cp.async ring of 128-key
// tiles gathered through the block table (rows padded to 144 bytes: ldmatrix phases hit distinct banks). Warp w
// computes query qi = w / (8/QG) over the 16-key m-tiles w % (8/QG), + 8/QG, ... of each tile:
//
//   D[16 keys, 64 heads] = K[16 keys, 128 dims] x Q^T[128 dims, 64 heads]: 4 k-steps x 8 n-tiles of
//   mma.sync.m16n8k32 e4m3 -> fp32. A (keys) fragments come from shared memory by ldmatrix; B (the query) stays in
//   64 registers for the whole chunk.
//
// m16n8k32 fragments (g = lane / 4, c = lane % 4), 4 e4m3 codes per 32-bit register:
//   A 16x32 row-major: a0 = (row g, cols 4c..4c+3), a1 = (g+8, 4c..), a2 = (g, 16+4c..), a3 = (g+8, 16+4c..)
//   B 32x8 col-major:  b0 = (rows 4c..4c+3, col g), b1 = (rows 16+4c.., col g)   -> q[head g][4c..], q[head g][16+4c..]
//   D 16x8 fp32:       d0, d1 = (row g, cols 2c, 2c+1), d2, d3 = (row g+8, cols 2c, 2c+1)
// so a thread holds 2 keys x 16 heads after the 8 n-tiles: it sums relu(d) * w over its heads, 2 shuffles finish
// the sum over the 4 lanes of a key, and lanes c = 0 / 1 store keys g / g+8 times the key's scale.

#define ITC_THREADS 256
#define ITC_WARPS 8
#define ITC_TILE 128      // keys per stage
#define ITC_STAGES 4
#define ITC_PITCH 144     // bytes per key row in shared memory (128 + 16)
#define ITC_HEADS 64
#define ITC_DIM 128
#define ITC_SHARED (ITC_STAGES * ITC_TILE * (ITC_PITCH + 4))   // key tiles and their scales; + QG*64*4 weights

#if __CUDA_ARCH__ >= 890
// max(0, x) keeping NaN, one instruction
static __device__ __forceinline__ float itc_relu(float x)
{
    float r;
    asm("max.NaN.f32 %0, %1, 0f00000000;" : "=f"(r) : "f"(x));
    return r;
}
#endif

// The arguments of every indexer_scores_* kernel here and of the bodies they call (the launcher passes the same list
// to each kernel).
#define ITC_ARGS const unsigned char* __restrict__ q8, const float* __restrict__ weights,                        \
    const unsigned char* __restrict__ keyPool, const float* __restrict__ scalePool, const int* __restrict__ rowSeq,  \
    const int* __restrict__ rowPos, const int* __restrict__ table, int tableWidth, int blockSize, int startPos,     \
    float* __restrict__ scores, int rows, int maxEnd, int keysPerBlock
#define ITC_ARG_NAMES q8, weights, keyPool, scalePool, rowSeq, rowPos, table, tableWidth, blockSize, startPos, scores, \
    rows, maxEnd, keysPerBlock

template <int QG>
static __device__ __forceinline__ void itc_body(ITC_ARGS)
{
#if __CUDA_ARCH__ >= 890
    constexpr int KS = ITC_WARPS / QG;     // warps sharing one query (they split the m-tiles of a tile)
    extern __shared__ float4 itc_smem4[];
    unsigned char* const keyTiles = reinterpret_cast<unsigned char*>(itc_smem4);              // [STAGES][TILE][PITCH]
    float* const tileScales = reinterpret_cast<float*>(keyTiles + ITC_STAGES * ITC_TILE * ITC_PITCH);  // [STAGES][TILE]
    float* const wsm = tileScales + ITC_STAGES * ITC_TILE;                                      // [QG][64]

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, c = lane & 3;
    const int qi = warp / KS, ks = warp % KS;
    const int row0 = blockIdx.y * QG;
    const int chunkStart = blockIdx.x * keysPerBlock;
    const int chunkEnd = min(chunkStart + keysPerBlock, maxEnd);
    const int seq = rowSeq != nullptr ? __ldg(rowSeq + row0) : 0;   // the launcher groups rows of one sequence

    // -inf above each row's diagonal inside the chunk; the group's furthest visible key
    int maxPos = -1;
#pragma unroll
    for (int r = 0; r < QG; r++)
    {
        const int i = row0 + r;
        if (i >= rows) break;
        const int p = itc_row_pos(rowPos, startPos, i);
        maxPos = max(maxPos, p);
        float* const row = scores + (long long)i * maxEnd;
        for (int s = max(chunkStart, p + 1) + tid; s < chunkEnd; s += ITC_THREADS) row[s] = SS_NEG_INF;
    }
    const int kEnd = min(chunkEnd, maxPos + 1);
    if (kEnd <= chunkStart) return;   // block-uniform

    const int myRow = row0 + qi;
    const int myPos = myRow < rows ? itc_row_pos(rowPos, startPos, myRow) : -1;
    for (int e = tid; e < QG * ITC_HEADS; e += ITC_THREADS)
    {
        const int r = e / ITC_HEADS;
        wsm[e] = row0 + r < rows ? __ldg(weights + (long long)row0 * ITC_HEADS + e) : 0.0f;
    }

    const int tiles = (kEnd - chunkStart + ITC_TILE - 1) / ITC_TILE;
    // tile t -> stage t % STAGES: 1024 16-byte pieces (4 per thread) and 128 scales; zeros at and past kEnd
    auto load = [&](int t) {
        const int base = chunkStart + t * ITC_TILE;
        unsigned char* const dst = keyTiles + (t % ITC_STAGES) * ITC_TILE * ITC_PITCH;
#pragma unroll
        for (int j = 0; j < ITC_TILE * 8 / ITC_THREADS; j++)
        {
            const int e = tid + j * ITC_THREADS, r = e >> 3, part = e & 7, p = base + r;
            const bool ok = p < kEnd;
            const unsigned char* src = keyPool;
            if (ok) src = keyPool + itc_pool_row(table, tableWidth, blockSize, seq, p) * ITC_DIM + part * 16;
            cp_async16(smem_addr(dst + r * ITC_PITCH + part * 16), src, ok ? 16 : 0);
        }
        if (tid < ITC_TILE)
        {
            const int p = base + tid;
            const bool ok = p < kEnd;
            const float* src = scalePool;
            if (ok) src = scalePool + itc_pool_row(table, tableWidth, blockSize, seq, p);
            cp_async4(smem_addr(tileScales + (t % ITC_STAGES) * ITC_TILE + tid), src, ok ? 4 : 0);
        }
    };
#pragma unroll
    for (int t = 0; t < ITC_STAGES - 1; t++)
    {
        if (t < tiles) load(t);
        cp_async_commit();
    }

    // the query's B fragments: bq[nt][kt] = q[head 8nt+g][32kt + 4c ..], q[head 8nt+g][32kt + 16 + 4c ..]
    const bool active = myPos >= chunkStart;   // warp-uniform
    u32 bq[8][4][2];
    if (active)
    {
        const unsigned char* const q = q8 + (long long)myRow * ITC_HEADS * ITC_DIM;
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
#pragma unroll
            for (int kt = 0; kt < 4; kt++)
            {
                const u32* const p = reinterpret_cast<const u32*>(q + (nt * 8 + g) * ITC_DIM + kt * 32 + 4 * c);
                bq[nt][kt][0] = __ldg(p);
                bq[nt][kt][1] = __ldg(p + 4);
            }
    }
    float* const out = scores + (long long)max(myRow, 0) * maxEnd;
    // ldmatrix x4 lane address inside an m-tile: matrices (rows 0-7, bytes 0-15), (8-15, 0-15), (0-7, 16-31), (8-15, 16-31)
    const int ldRow = (lane & 7) + ((lane >> 3) & 1) * 8, ldCol = (lane >> 4) * 16;

    for (int t = 0; t < tiles; t++)
    {
        asm volatile("cp.async.wait_group %0;" :: "n"(ITC_STAGES - 2));
        __syncthreads();   // tile t landed for everyone; stage (t-1) % STAGES is free
        if (t + ITC_STAGES - 1 < tiles) load(t + ITC_STAGES - 1);
        cp_async_commit();
        if (!active) continue;
        const int stage = t % ITC_STAGES;
        const int base = chunkStart + t * ITC_TILE;
        const float* const w = wsm + qi * ITC_HEADS + 2 * c;
        for (int mt = ks; mt < ITC_TILE / 16; mt += KS)
        {
            const int m0 = base + mt * 16;
            if (m0 > myPos) break;
            float acc[8][4];
#pragma unroll
            for (int nt = 0; nt < 8; nt++) acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
            const u32 a = smem_addr(keyTiles + (stage * ITC_TILE + mt * 16 + ldRow) * ITC_PITCH + ldCol);
#pragma unroll
            for (int kt = 0; kt < 4; kt++)
            {
                u32 a0, a1, a2, a3;
                ldsm_x4(a + kt * 32, a0, a1, a2, a3);
#pragma unroll
                for (int nt = 0; nt < 8; nt++) mma_e4m3_16832(acc[nt], a0, a1, a2, a3, bq[nt][kt][0], bq[nt][kt][1]);
            }
            float s0 = 0.0f, s1 = 0.0f;   // keys m0 + g, m0 + g + 8
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
            {
                const float2 wv = *reinterpret_cast<const float2*>(w + nt * 8);
                s0 = fmaf(itc_relu(acc[nt][0]), wv.x, s0);
                s0 = fmaf(itc_relu(acc[nt][1]), wv.y, s0);
                s1 = fmaf(itc_relu(acc[nt][2]), wv.x, s1);
                s1 = fmaf(itc_relu(acc[nt][3]), wv.y, s1);
            }
            s0 += __shfl_xor_sync(0xFFFFFFFFu, s0, 1);
            s1 += __shfl_xor_sync(0xFFFFFFFFu, s1, 1);
            s0 += __shfl_xor_sync(0xFFFFFFFFu, s0, 2);
            s1 += __shfl_xor_sync(0xFFFFFFFFu, s1, 2);
            if (c < 2)
            {
                const int key = g + 8 * c;
                const int s = m0 + key;
                if (s <= myPos) out[s] = (c == 0 ? s0 : s1) * tileScales[stage * ITC_TILE + mt * 16 + key];
            }
        }
    }
    asm volatile("cp.async.wait_group 0;");
#else
    __trap();   // the launcher uses indexer_scores below sm_89
#endif
}

// grid (ceil(maxEnd / keysPerBlock), ceil(rows / QG)), block 256, dynamic shared ITC_SHARED + QG * 256 bytes.
// Rows g*QG .. g*QG + QG - 1 must belong to one sequence (the launcher checks before choosing QG = 8).
extern "C" __global__ void __launch_bounds__(ITC_THREADS, 2)
indexer_scores_tc1(ITC_ARGS)
{
    itc_body<1>(ITC_ARG_NAMES);
}

extern "C" __global__ void __launch_bounds__(ITC_THREADS, 2)
indexer_scores_tc8(ITC_ARGS)
{
    itc_body<8>(ITC_ARG_NAMES);
}

// ---- indexer_scores_wh1 / indexer_scores_wh8: the FP8 codes on f16 warpgroup tensor cores (sm_90a) ---------------------
// Every e4m3 value is exact in f16 and every product of two is exact in fp32, so D = K x Q^T from
// wgmma.m64n64k16.f32.f16.f16 is the same sum of exact products as mma.sync's. Hopper's FP8 wgmma sums each 32-product
// k-step at reduced precision (a kernel on it missed the op tests' 1e-4 bar: 1.0-2.7e-4, BENCHMARKS.md round 6); the
// f16 form keeps the fp32 bar at half the FP8 tensor rate, which still leaves decode bound by the key reads (64 keys:
// 8.4 KB of HBM against 8 x 32 tensor clocks per SM sub-partition).
//
// A block owns QG query rows of one sequence (1 for decode, 8 for prefill) and a chunk of keys. Its two warpgroups
// take alternate 64-key tiles, each through its own ring of IWH_STAGES(QG) tiles, so neither waits for the other. A
// warpgroup converts its tile's 64 x 128 codes to f16 A fragments in registers once and runs them against the QG
// queries, whose f16 B tiles sit in shared memory for the whole chunk: one query per wgmma (N = 64) for decode, two
// (N = 128) for prefill groups, where the wider instruction measured faster (BENCHMARKS.md round 8).
//
// Loads: where every 32 consecutive positions sit in consecutive pool rows (no block table, or blocks of a power of two
// >= 32 positions, the engine's 64), one thread of the warpgroup copies a tile as two 4 KiB bulk copies (and two of
// 128 bytes for the scales) that complete on the stage's mbarrier: no per-key address math and no block-wide barrier.
// A group holding any key before kEnd is copied whole, so buffers must extend to the end of that 32-row group (the
// launcher's WholeGroupsInside; rows past kEnd are never stored). Other block sizes gather 16-byte pieces with
// cp.async through the block table.
//
// K order: the dot product does not care in which order dims are summed, so each thread reads 32 contiguous bytes of
// a key row (dims 32t .. 32t+31) and feeds word s of them to k-step s:
//   k-step s, slots 2t, 2t+1 <- dims 32t + 4s, +1;  slots 2t+8, 2t+9 <- dims 32t + 4s + 2, +3
// (the A register fragment of m64k16: a0/a2 = row g, slots 2t../2t+8..; a1/a3 = row g+8), and the query's B tile is
// written in the same logical order. A pair of codes is converted by one cvt.rn.f16x2.e4m3x2 on both sides, so A and
// B agree on which half holds which dim.

#define IWH_TILE 64
#define IWH_TILE_BYTES (IWH_TILE * ITC_DIM)                      // 8 KiB of FP8 keys, rows 128 bytes apart
#define IWH_Q_BYTES (ITC_HEADS * ITC_DIM * 2)                    // 16 KiB: one query as f16, two 8 KiB K-blocks
#define IWH_NQ(QG) ((QG) == 1 ? 1 : 2)                           // queries per wgmma: N = 64 heads x NQ
#define IWH_STAGES(QG) ((QG) == 1 ? 5 : 4)                       // tiles in flight per warpgroup
// q [2 K-blocks][QG][64 heads][128 bytes] | keys [2 warpgroups][STAGES] | scales [2][STAGES][64] | mbarriers [2][STAGES] | weights [QG][64]
#define IWH_SHARED(QG) (1024 + (QG) * IWH_Q_BYTES + 2 * IWH_STAGES(QG) * (IWH_TILE_BYTES + IWH_TILE * 4 + 8) + (QG) * ITC_HEADS * 4)

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// k-steps s0 .. s0 + 3 of NQ queries (from qAddr: the first's K-block 0; K-block 1 lies kBlockBytes further) into d
template <int NQ>
static __device__ __forceinline__ void iwh_steps(float (&d)[32 * NQ], const u32 (&a)[8][4], u32 qAddr, u32 kBlockBytes, int s0)
{
#pragma unroll
    for (int s = s0; s < s0 + 4; s++) wgmma_f16(d, a[s], wgmma_desc_sw128(qAddr + (s >> 2) * kBlockBytes + (s & 3) * 32), s);
}

// A fragments of k-steps 4 half .. 4 half + 3 from this thread's two key rows
static __device__ __forceinline__ void iwh_convert(u32 (&a)[8][4], const unsigned char* k0, int half)
{
    const uint4 x0 = *reinterpret_cast<const uint4*>(k0 + 16 * half);
    const uint4 x1 = *reinterpret_cast<const uint4*>(k0 + 8 * ITC_DIM + 16 * half);
    const u32 w0[4] = {x0.x, x0.y, x0.z, x0.w}, w1[4] = {x1.x, x1.y, x1.z, x1.w};
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        f16x2x2_from_e4m3x4(w0[i], a[4 * half + i][0], a[4 * half + i][2]);
        f16x2x2_from_e4m3x4(w1[i], a[4 * half + i][1], a[4 * half + i][3]);
    }
}

// relu(d) . w over this thread's 16 heads for its two keys, finished over the key's 4 lanes; lanes t = 0 / 1 store
// keys 16wq + g / + 8 of the tile (those at or before pos) times their scale
template <int N>   // d's columns off .. off + 63 (registers d[off ..], off a constant once unrolled) are this query's heads
static __device__ __forceinline__ void iwh_store(const float (&d)[N], int off, const float* w, const float* keyScales,
    float* out, int first, int kEnd, int pos, int wq, int g, int t)
{
    // w: this query's weights in thread order, [t][16]: heads 8j + 2t, 8j + 2t + 1 at 2j, 2j + 1 (4 loads, not 8)
    float wv[16];
#pragma unroll
    for (int i = 0; i < 4; i++) *reinterpret_cast<float4*>(wv + 4 * i) = *reinterpret_cast<const float4*>(w + 16 * t + 4 * i);
    float a0 = 0.0f, a1 = 0.0f, b0 = 0.0f, b1 = 0.0f;   // two chains per key: half the dependent-FMA latency
#pragma unroll
    for (int j = 0; j < 8; j++)
    {
        a0 = fmaf(itc_relu(d[off + 4 * j]), wv[2 * j], a0);
        a1 = fmaf(itc_relu(d[off + 4 * j + 1]), wv[2 * j + 1], a1);
        b0 = fmaf(itc_relu(d[off + 4 * j + 2]), wv[2 * j], b0);
        b1 = fmaf(itc_relu(d[off + 4 * j + 3]), wv[2 * j + 1], b1);
    }
    float s0 = a0 + a1, s1 = b0 + b1;
    s0 += __shfl_xor_sync(0xFFFFFFFFu, s0, 1);
    s1 += __shfl_xor_sync(0xFFFFFFFFu, s1, 1);
    s0 += __shfl_xor_sync(0xFFFFFFFFu, s0, 2);
    s1 += __shfl_xor_sync(0xFFFFFFFFu, s1, 2);
    if (t < 2)
    {
        const int key = 16 * wq + g + 8 * t;
        const int s = first + key;
        if (s < kEnd && s <= pos) out[s] = (t == 0 ? s0 : s1) * keyScales[key];
    }
}

// One landed tile: this thread's keys 16wq + g and + 8 (32 bytes each, 8 words -> 8 k-steps) become f16 A fragments,
// the second half converted while the first half's k-steps run; then the QG queries go out NQ at a time, the next
// group's k-steps while this group's scores are summed (two accumulators in turn). whileRunning() runs once the first
// k-steps are out (the bulk loader issues the next tile's copies there, off the tile's critical path).
template <int QG, typename Hook>
static __device__ __forceinline__ void iwh_tile(const unsigned char* keys, const float* keyScales, u32 qAddr,
    const float* wsm, float* scores, long long row0, int maxEnd, const int (&pos)[QG], int first, int kEnd, int wq,
    int g, int t, Hook&& whileRunning)
{
    constexpr int NQ = IWH_NQ(QG), ROUNDS = QG / NQ;
    constexpr u32 KB = QG * (IWH_Q_BYTES / 2);   // bytes from a query's K-block 0 to its K-block 1
    const unsigned char* const k0 = keys + (16 * wq + g) * ITC_DIM + 32 * t;
    u32 a[8][4];
    float d[2][32 * NQ];
    iwh_convert(a, k0, 0);
    wgmma_fence();
    iwh_steps<NQ>(d[0], a, qAddr, KB, 0);
    iwh_convert(a, k0, 1);
    wgmma_fence();
    iwh_steps<NQ>(d[0], a, qAddr, KB, 4);
    wgmma_commit();
    whileRunning();
#pragma unroll
    for (int r = 0; r < ROUNDS; r++)
    {
        if (r + 1 < ROUNDS)
        {
            wgmma_fence();
            const u32 q = qAddr + (r + 1) * NQ * (IWH_Q_BYTES / 2);
            iwh_steps<NQ>(d[(r + 1) & 1], a, q, KB, 0);
            iwh_steps<NQ>(d[(r + 1) & 1], a, q, KB, 4);
            wgmma_commit();
            wgmma_wait<1>();
        }
        else
            wgmma_wait<0>();
#pragma unroll
        for (int n = 0; n < NQ; n++)   // accumulator columns 64n .. 64n + 63: query NQ r + n
        {
            const int qr = NQ * r + n;
            iwh_store(d[r & 1], 32 * n, wsm + qr * ITC_HEADS, keyScales,
                      scores + max(row0 + qr, 0ll) * maxEnd, first, kEnd, pos[qr], wq, g, t);
        }
    }
}

static __device__ __forceinline__ void iwh_bulk(u32 dst, const void* src, u32 bytes, u32 bar)
{
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                 :: "r"(dst), "l"(src), "r"(bytes), "r"(bar) : "memory");
}
#endif

// BULK: every 32 consecutive positions from a multiple of 32 are consecutive pool rows (see above)
template <int QG, bool BULK>
static __device__ __forceinline__ void iwh_body(ITC_ARGS)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    constexpr int STAGES = IWH_STAGES(QG);
    extern __shared__ float4 iwh_smem4[];
    const u32 raw = smem_addr(iwh_smem4);
    const u32 base = (raw + 1023u) & ~1023u;                 // swizzled q tiles need 1024-byte alignment
    unsigned char* const smem = reinterpret_cast<unsigned char*>(iwh_smem4) + (base - raw);

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wg = warp >> 2, wq = warp & 3, g = lane >> 2, t = lane & 3;
    const u32 qAddr = base;
    unsigned char* const keyRing = smem + QG * IWH_Q_BYTES + wg * STAGES * IWH_TILE_BYTES;            // this warpgroup's
    float* const scaleRing = reinterpret_cast<float*>(smem + QG * IWH_Q_BYTES + 2 * STAGES * IWH_TILE_BYTES) + wg * STAGES * IWH_TILE;
    const u32 bars = base + QG * IWH_Q_BYTES + 2 * STAGES * (IWH_TILE_BYTES + IWH_TILE * 4) + wg * STAGES * 8;
    float* const wsm = reinterpret_cast<float*>(smem + QG * IWH_Q_BYTES + 2 * STAGES * (IWH_TILE_BYTES + IWH_TILE * 4 + 8));

    const int row0 = blockIdx.y * QG;
    const int chunkStart = blockIdx.x * keysPerBlock;
    const int chunkEnd = min(chunkStart + keysPerBlock, maxEnd);
    const int seq = rowSeq != nullptr ? __ldg(rowSeq + row0) : 0;   // the launcher groups rows of one sequence
    const int* const seqTable = table != nullptr ? table + (long long)seq * tableWidth : nullptr;
    const int shift = __ffs(blockSize) - 1;

    // -inf above each row's diagonal inside the chunk; the group's furthest visible key
    int pos[QG];
    int maxPos = -1;
#pragma unroll
    for (int r = 0; r < QG; r++)
    {
        const int i = row0 + r;
        pos[r] = i < rows ? itc_row_pos(rowPos, startPos, i) : -1;
        maxPos = max(maxPos, pos[r]);
        if (i >= rows) continue;
        float* const row = scores + (long long)i * maxEnd;
        for (int s = max(chunkStart, pos[r] + 1) + tid; s < chunkEnd; s += ITC_THREADS) row[s] = SS_NEG_INF;
    }
    const int kEnd = min(chunkEnd, maxPos + 1);
    if (kEnd <= chunkStart) return;   // block-uniform

    const int tiles = (kEnd - chunkStart + IWH_TILE - 1) / IWH_TILE;
    const int myTiles = (tiles - wg + 1) / 2;   // tiles wg, wg + 2, ...
    const bool producer = wq == 0 && lane == 0;

    // this warpgroup's i-th tile -> stage i % STAGES
    auto load = [&](int i) {
        const int first = chunkStart + (2 * i + wg) * IWH_TILE, stage = i % STAGES;
        unsigned char* const dst = keyRing + stage * IWH_TILE_BYTES;
        float* const dstScales = scaleRing + stage * IWH_TILE;
        if constexpr (BULK)
        {
            if (!producer) return;
            const int groups = first + 32 < kEnd ? 2 : 1;   // 32-key groups holding a key before kEnd
            const u32 bar = bars + stage * 8;
            asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" :: "r"(bar), "r"(groups * (32 * ITC_DIM + 128)) : "memory");
            for (int h = 0; h < groups; h++)
            {
                const int p = first + 32 * h;
                const long long row = seqTable == nullptr ? p : ((long long)__ldg(seqTable + (p >> shift)) << shift) | (p & (blockSize - 1));
                iwh_bulk(smem_addr(dst + h * 32 * ITC_DIM), keyPool + row * ITC_DIM, 32 * ITC_DIM, bar);
                iwh_bulk(smem_addr(dstScales + h * 32), scalePool + row, 128, bar);
            }
        }
        else
        {
            const int wt = tid & 127;   // thread in the warpgroup: 512 pieces of 16 bytes, 4 each, and 64 scales
#pragma unroll
            for (int j = 0; j < 4; j++)
            {
                const int e = wt + 128 * j, key = first + (e >> 3);
                const bool ok = key < kEnd;
                const unsigned char* src = keyPool;
                if (ok) src = keyPool + itc_pool_row(table, tableWidth, blockSize, seq, key) * ITC_DIM + (e & 7) * 16;
                cp_async16(smem_addr(dst + e * 16), src, ok ? 16 : 0);
            }
            if (wt < IWH_TILE)
            {
                const int key = first + wt;
                const bool ok = key < kEnd;
                const float* src = scalePool;
                if (ok) src = scalePool + itc_pool_row(table, tableWidth, blockSize, seq, key);
                cp_async4(smem_addr(dstScales + wt), src, ok ? 4 : 0);
            }
            cp_async_commit();
        }
    };

    if (BULK && producer)
    {
        mbar_init_ring<1>(bars, STAGES);
        mbar_init_fence();
    }

    // the queries as f16 B tiles, query r's 64 rows after query r - 1's in each K-block (so one descriptor spans NQ
    // queries): word (h, logical slots L, L+1) of K-block L / 64, 16-byte chunk (L % 64) / 8 swizzled by h % 8; slots L, L+1 are dims 32t + 4s + 2(k / 8), +1 with s = L / 16, k = L % 16, t = (k % 8) / 2. Rows past
    // the last are zero.
    for (int e = tid; e < QG * ITC_HEADS * ITC_DIM / 2; e += ITC_THREADS)
    {
        const int r = e / (ITC_HEADS * ITC_DIM / 2), h = (e >> 6) & (ITC_HEADS - 1), L = 2 * (e & 63);
        const int s = L >> 4, k = L & 15;
        const int dim = 32 * ((k & 7) >> 1) + 4 * s + 2 * (k >> 3);
        u32 v = 0;
        if (row0 + r < rows) v = f16x2_from_e4m3x2(__ldg(reinterpret_cast<const u16*>(q8 + ((long long)(row0 + r) * ITC_HEADS + h) * ITC_DIM + dim)));
        const int cl = L & 63;
        const u32 at = (L >> 6) * (QG * IWH_Q_BYTES / 2) + r * (IWH_Q_BYTES / 2) + h * 128 + ((((cl >> 3) ^ (h & 7))) << 4) + (cl & 7) * 2;
        *reinterpret_cast<u32*>(smem + at) = v;
    }
    // weights [QG][t][16] in the order iwh_store reads them: head h = 8j + 2t + e at 16t + 2j + e
    for (int e = tid; e < QG * ITC_HEADS; e += ITC_THREADS)
    {
        const int r = e / ITC_HEADS, h = e % ITC_HEADS;
        wsm[r * ITC_HEADS + 16 * ((h & 7) >> 1) + 2 * (h >> 3) + (h & 1)] =
            row0 + r < rows ? __ldg(weights + (long long)row0 * ITC_HEADS + e) : 0.0f;
    }
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // generic writes of q -> visible to wgmma
    __syncthreads();   // q, weights and the mbarriers are ready

#pragma unroll 1
    for (int i = 0; i < STAGES - 1; i++)
        if (i < myTiles) load(i);
        else if (!BULK) cp_async_commit();

#pragma unroll 1
    for (int i = 0; i < myTiles; i++)
    {
        asm volatile("bar.sync %0, 128;" :: "r"(1 + wg) : "memory");   // the warpgroup is done with stage (i - 1) % STAGES
        const bool more = i + STAGES - 1 < myTiles;
        if constexpr (BULK)
            mbar_wait(bars + (i % STAGES) * 8, (i / STAGES) & 1);
        else
        {
            if (more) load(i + STAGES - 1);
            else cp_async_commit();
            asm volatile("cp.async.wait_group %0;" :: "n"(STAGES - 1) : "memory");
            asm volatile("bar.sync %0, 128;" :: "r"(1 + wg) : "memory");   // every thread's pieces of tile i landed
        }
        iwh_tile<QG>(keyRing + (i % STAGES) * IWH_TILE_BYTES, scaleRing + (i % STAGES) * IWH_TILE, qAddr, wsm, scores, row0,
                     maxEnd, pos, chunkStart + (2 * i + wg) * IWH_TILE, kEnd, wq, g, t, [&] {
                         if (BULK && more) load(i + STAGES - 1);
                     });
    }
    if constexpr (!BULK) asm volatile("cp.async.wait_group 0;");
#else
    __trap();   // the launcher loads these kernels only when the module is built for sm_90a
#endif
}

// Whether every 32 consecutive positions from a multiple of 32 are consecutive pool rows, and the pools are 16-byte
// aligned as bulk copies need.
static __device__ __forceinline__ bool iwh_bulk_rows(const int* table, int blockSize, const void* keyPool, const void* scalePool)
{
    const bool aligned = (((unsigned long long)keyPool | (unsigned long long)scalePool) & 15) == 0;
    return aligned && (table == nullptr || ((blockSize & (blockSize - 1)) == 0 && blockSize >= 32));
}

// Bulk loads where the pool layout allows them (iwh_bulk_rows), cp.async gathers elsewhere.
template <int QG>
static __device__ __forceinline__ void iwh_kernel(ITC_ARGS)
{
    if (iwh_bulk_rows(table, blockSize, keyPool, scalePool))
        iwh_body<QG, true>(ITC_ARG_NAMES);
    else
        iwh_body<QG, false>(ITC_ARG_NAMES);
}

// Same arguments and results as indexer_scores_tc1 / tc8. grid (ceil(maxEnd / keysPerBlock), ceil(rows / QG)), block
// 256, dynamic shared IWH_SHARED(QG); keysPerBlock a multiple of 128; the rows of a group belong to one sequence.
extern "C" __global__ void __launch_bounds__(ITC_THREADS, 2)
indexer_scores_wh1(ITC_ARGS)
{
    iwh_kernel<1>(ITC_ARG_NAMES);
}

extern "C" __global__ void __launch_bounds__(ITC_THREADS)
indexer_scores_wh8(ITC_ARGS)
{
    iwh_kernel<8>(ITC_ARG_NAMES);
}
