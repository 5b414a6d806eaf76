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
// d += a (16x32 e4m3) * b (32x8 e4m3), fp32 accumulation
static __device__ __forceinline__ void itc_mma(float* d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// max(0, x) keeping NaN, one instruction
static __device__ __forceinline__ float itc_relu(float x)
{
    float r;
    asm("max.NaN.f32 %0, %1, 0f00000000;" : "=f"(r) : "f"(x));
    return r;
}
#endif

template <int QG>
static __device__ __forceinline__ void itc_body(const unsigned char* __restrict__ q8, const float* __restrict__ weights,
    const unsigned char* __restrict__ keyPool, const float* __restrict__ scalePool,
    const int* __restrict__ rowSeq, const int* __restrict__ rowPos, const int* __restrict__ table,
    int tableWidth, int blockSize, int startPos, float* __restrict__ scores, int rows, int maxEnd, int keysPerBlock)
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
                for (int nt = 0; nt < 8; nt++) itc_mma(acc[nt], a0, a1, a2, a3, bq[nt][kt][0], bq[nt][kt][1]);
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
indexer_scores_tc1(const unsigned char* __restrict__ q8, const float* __restrict__ weights,
    const unsigned char* __restrict__ keyPool, const float* __restrict__ scalePool,
    const int* __restrict__ rowSeq, const int* __restrict__ rowPos, const int* __restrict__ table,
    int tableWidth, int blockSize, int startPos, float* __restrict__ scores, int rows, int maxEnd, int keysPerBlock)
{
    itc_body<1>(q8, weights, keyPool, scalePool, rowSeq, rowPos, table, tableWidth, blockSize, startPos, scores, rows,
                maxEnd, keysPerBlock);
}

extern "C" __global__ void __launch_bounds__(ITC_THREADS, 2)
indexer_scores_tc8(const unsigned char* __restrict__ q8, const float* __restrict__ weights,
    const unsigned char* __restrict__ keyPool, const float* __restrict__ scalePool,
    const int* __restrict__ rowSeq, const int* __restrict__ rowPos, const int* __restrict__ table,
    int tableWidth, int blockSize, int startPos, float* __restrict__ scores, int rows, int maxEnd, int keysPerBlock)
{
    itc_body<8>(q8, weights, keyPool, scalePool, rowSeq, rowPos, table, tableWidth, blockSize, startPos, scores, rows,
                maxEnd, keysPerBlock);
}
