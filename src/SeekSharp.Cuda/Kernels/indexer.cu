// Lightning indexer scores (the reference fp8_index) over a paged or contiguous key cache, on CUDA cores: fp32 dot
// products of the decoded codes, any heads <= 128 and dim <= 256, any architecture. indexer_tc.cu has the FP8
// tensor-core kernel the launcher prefers on sm_89+ for the model's 64 heads x 128 dims.
//
//   scores[i, s] = scale(r) * sum_h max(0, sum_d q8[i,h,d]*key(r)[d]) * weights[i,h]   for s <= pos_i
//   scores[i, s] = -inf                                                              for pos_i < s < maxEnd
//
// with r the pool row of position s of row i's sequence. Rows: q8 U8 e4m3 [rows, heads, dim]; weights F32
// [rows, heads]; keyPool U8 e4m3 [poolRows, dim]; scalePool F32 [poolRows]; scores F32 [rows, maxEnd].
// Row i is position pos_i = rowPos[i] of sequence seq_i = rowSeq[i]; position p of sequence q is pool row
// table[q * tableWidth + p / blockSize] * blockSize + p % blockSize. The contiguous form passes null tables:
// rowPos null -> pos_i = startPos + i, rowSeq null -> sequence 0, table null -> pool row = position.
// e4m3 products are exact in fp32 and max(0, x) keeps NaN (as the CPU's MathF.Max), so only the fp32 summation
// order differs from the CPU.

// Position of query row i.
static __device__ __forceinline__ int idx_row_pos(const int* __restrict__ rowPos, int startPos, int i)
{
    return rowPos != nullptr ? __ldg(rowPos + i) : startPos + i;
}

// Pool row of position p of sequence seq.
static __device__ __forceinline__ long long idx_pool_row(const int* __restrict__ table, int tableWidth, int blockSize, int seq, int p)
{
    if (table == nullptr) return p;
    const int b = p / blockSize;
    return (long long)__ldg(table + (long long)seq * tableWidth + b) * blockSize + (p - b * blockSize);
}

// ================================================================================================================
// indexer_scores: fp32 CUDA cores, one block per (query row, 256 keys in 4 tiles of 64).
//
// The query's heads and the key tile are decoded once into shared memory as fp32. Each of the 256 threads computes a
// 4-key x ceil(heads/16)-head register tile of dot products; the 16 threads of one key row then reduce over heads
// with shuffles. Rows are padded by 4 floats so that the 16-byte q loads of a quarter-warp hit distinct banks.

#define IDX_KEYS_PER_BLOCK 64   // keys per tile
#define IDX_TILES_PER_BLOCK 4   // tiles per block: q is decoded once per 256 keys
#define IDX_THREADS 256
#define IDX_HEAD_LANES 16      // threads sharing a key row (threadIdx.x % 16): they split the heads
#define IDX_KEYS_PER_THREAD 4  // 16 key rows x 4 = 64 keys
#define IDX_MAX_HEADS_PER_THREAD 8  // heads <= 128
#define IDX_PAD 4

// Four packed e4m3 codes (little-endian: byte 0 is the lowest address) to their exact floats (common.cuh decode).
static __device__ __forceinline__ float4 idx_e4m3x4(unsigned packed)
{
    return make_float4(e4m3_to_float((u8)packed), e4m3_to_float((u8)(packed >> 8)),
                       e4m3_to_float((u8)(packed >> 16)), e4m3_to_float((u8)(packed >> 24)));
}

// max(0, x) that keeps NaN (MathF.Max on the CPU propagates it; fmaxf would drop it).
static __device__ __forceinline__ float idx_relu(float x)
{
    return x != x ? x : fmaxf(x, 0.0f);
}

// One tile of 64 keys from shared memory: 4 keys x ceil(heads/16) heads of dot products per thread, then
// sum_h relu(dot) * w_h reduced over the 16 threads of each key row. tileScale: the 64 keys' scales.
static __device__ __forceinline__ void idx_tile(const float* __restrict__ qs, const float* __restrict__ ks,
    const float* __restrict__ w, const float* __restrict__ tileScale, float* __restrict__ row,
    int s0, int pos, int end, int heads, int dim, int pitch, int tx, int ty)
{
    float acc[IDX_KEYS_PER_THREAD][IDX_MAX_HEADS_PER_THREAD];
#pragma unroll
    for (int r = 0; r < IDX_KEYS_PER_THREAD; r++)
#pragma unroll
        for (int j = 0; j < IDX_MAX_HEADS_PER_THREAD; j++) acc[r][j] = 0.0f;

    for (int d = 0; d < dim; d += 4)
    {
        float4 kv[IDX_KEYS_PER_THREAD];
#pragma unroll
        for (int r = 0; r < IDX_KEYS_PER_THREAD; r++)
            kv[r] = *reinterpret_cast<const float4*>(ks + (ty * IDX_KEYS_PER_THREAD + r) * pitch + d);
#pragma unroll
        for (int j = 0; j < IDX_MAX_HEADS_PER_THREAD; j++)
        {
            const int h = tx + IDX_HEAD_LANES * j;
            if (h < heads)
            {
                const float4 qv = *reinterpret_cast<const float4*>(qs + h * pitch + d);
#pragma unroll
                for (int r = 0; r < IDX_KEYS_PER_THREAD; r++)
                {
                    float a = acc[r][j];
                    a = fmaf(qv.x, kv[r].x, a);
                    a = fmaf(qv.y, kv[r].y, a);
                    a = fmaf(qv.z, kv[r].z, a);
                    a = fmaf(qv.w, kv[r].w, a);
                    acc[r][j] = a;
                }
            }
        }
    }

    // sum_h relu(dot)*w over this thread's heads, then over the 16 threads of the key row
    float part[IDX_KEYS_PER_THREAD];
#pragma unroll
    for (int r = 0; r < IDX_KEYS_PER_THREAD; r++) part[r] = 0.0f;
#pragma unroll
    for (int j = 0; j < IDX_MAX_HEADS_PER_THREAD; j++)
    {
        const int h = tx + IDX_HEAD_LANES * j;
        if (h < heads)
        {
            const float wh = __ldg(w + h);
#pragma unroll
            for (int r = 0; r < IDX_KEYS_PER_THREAD; r++) part[r] = fmaf(idx_relu(acc[r][j]), wh, part[r]);
        }
    }
#pragma unroll
    for (int r = 0; r < IDX_KEYS_PER_THREAD; r++)
#pragma unroll
        for (int off = IDX_HEAD_LANES / 2; off > 0; off >>= 1)
            part[r] += __shfl_xor_sync(0xFFFFFFFFu, part[r], off);   // stays inside the 16-lane half-warp

    if (tx == 0)
    {
#pragma unroll
        for (int r = 0; r < IDX_KEYS_PER_THREAD; r++)
        {
            const int s = s0 + ty * IDX_KEYS_PER_THREAD + r;
            if (s < end)
                row[s] = s <= pos ? part[r] * tileScale[ty * IDX_KEYS_PER_THREAD + r] : SS_NEG_INF;
        }
    }
}

// grid (ceil(maxEnd/256), rows), block 256, dynamic shared (heads + 64) * (dim + 4) * 4 bytes.
extern "C" __global__ void __launch_bounds__(IDX_THREADS)
indexer_scores(const unsigned char* __restrict__ q8, const float* __restrict__ weights,
               const unsigned char* __restrict__ keyPool, const float* __restrict__ scalePool,
               const int* __restrict__ rowSeq, const int* __restrict__ rowPos, const int* __restrict__ table,
               int tableWidth, int blockSize, int startPos, float* __restrict__ scores, int heads, int dim, int maxEnd)
{
    extern __shared__ float4 idx_smem4[];
    __shared__ float tileScale[IDX_KEYS_PER_BLOCK];
    __shared__ long long tileRow[IDX_KEYS_PER_BLOCK];
    float* const qs = reinterpret_cast<float*>(idx_smem4);   // [heads][dim + 4]
    const int pitch = dim + IDX_PAD;
    float* const ks = qs + heads * pitch;                       // [64][dim + 4]

    const int i = blockIdx.y;
    const int pos = idx_row_pos(rowPos, startPos, i);           // last visible key of this query
    const int seq = rowSeq != nullptr ? __ldg(rowSeq + i) : 0;
    const int tid = threadIdx.x;
    float* const row = scores + (long long)i * maxEnd;
    const int blockStart = blockIdx.x * IDX_KEYS_PER_BLOCK * IDX_TILES_PER_BLOCK;
    const int blockEnd = min(blockStart + IDX_KEYS_PER_BLOCK * IDX_TILES_PER_BLOCK, maxEnd);

    if (blockStart > pos)
    {
        // every key of the block is above the diagonal
        for (int s = blockStart + tid; s < blockEnd; s += IDX_THREADS) row[s] = SS_NEG_INF;
        return;
    }

    // decode q [heads, dim] once for all tiles of the block
    const int quads = dim >> 2;
    const unsigned* const q32 = reinterpret_cast<const unsigned*>(q8 + (long long)i * heads * dim);
    for (int e = tid; e < heads * quads; e += IDX_THREADS)
    {
        const int h = e / quads, c = e - h * quads;
        *reinterpret_cast<float4*>(qs + h * pitch + 4 * c) = idx_e4m3x4(__ldg(q32 + e));
    }

    const int tx = tid % IDX_HEAD_LANES;   // heads tx, tx + 16, ...
    const int ty = tid / IDX_HEAD_LANES;   // keys 4*ty .. 4*ty + 3 of the tile
    const float* const w = weights + (long long)i * heads;
    for (int s0 = blockStart; s0 < blockEnd; s0 += IDX_KEYS_PER_BLOCK)
    {
        if (s0 > pos)
        {
            // this and later tiles are above the diagonal (block-uniform)
            for (int s = s0 + tid; s < blockEnd; s += IDX_THREADS) row[s] = SS_NEG_INF;
            break;
        }
        __syncthreads();   // q is written / the previous tile is no longer read
        // the visible keys of the tile (zeros past the diagonal), gathered through the block table
        const int tileKeys = min(IDX_KEYS_PER_BLOCK, pos + 1 - s0);
        if (tid < IDX_KEYS_PER_BLOCK)
        {
            const long long r = tid < tileKeys ? idx_pool_row(table, tableWidth, blockSize, seq, s0 + tid) : 0;
            tileRow[tid] = r;
            tileScale[tid] = tid < tileKeys ? __ldg(scalePool + r) : 0.0f;
        }
        __syncthreads();
        for (int e = tid; e < IDX_KEYS_PER_BLOCK * quads; e += IDX_THREADS)
        {
            const int r = e / quads, c = e - r * quads;
            const unsigned* const k32 = reinterpret_cast<const unsigned*>(keyPool + tileRow[r] * dim);
            *reinterpret_cast<float4*>(ks + r * pitch + 4 * c) =
                r < tileKeys ? idx_e4m3x4(__ldg(k32 + c)) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
        __syncthreads();
        idx_tile(qs, ks, w, tileScale, row, s0, pos, blockEnd, heads, dim, pitch, tx, ty);
    }
}

