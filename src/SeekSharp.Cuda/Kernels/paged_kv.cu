// paged_kv.cu - the paged KV cache: writing new rows into their pool slots, and turning positions of a sequence into
// pool rows for the attention kernels. Position p of sequence s is pool row table[s * table_width + p / block_size] *
// block_size + p % block_size (IComputeDevice's PagedRows). Launchers: PagedKvLauncher.

static __device__ __forceinline__ i64 paged_pool_row(const int* __restrict__ table, int table_width, int block_size, int s, int p)
{
    return (i64)__ldg(table + (i64)s * table_width + p / block_size) * block_size + p % block_size;
}

// pool[slot(i)] = source row i, row_units units of unit_bytes (4: 32-bit words, else bytes); source rows src_stride
// units apart. grid (rows), block 128.
extern "C" __global__ void __launch_bounds__(128)
paged_write_rows(const u8* __restrict__ src, i64 src_stride, u8* __restrict__ pool, int row_units, int unit_bytes,
                 const int* __restrict__ row_seq, const int* __restrict__ row_pos, const int* __restrict__ table,
                 int table_width, int block_size)
{
    const int i = blockIdx.x;
    const i64 slot = paged_pool_row(table, table_width, block_size, __ldg(row_seq + i), __ldg(row_pos + i));
    if (unit_bytes == 4)
    {
        const u32* s = reinterpret_cast<const u32*>(src) + (i64)i * src_stride;
        u32* d = reinterpret_cast<u32*>(pool) + slot * row_units;
        for (int c = threadIdx.x; c < row_units; c += blockDim.x) d[c] = s[c];
    }
    else
    {
        const u8* s = src + (i64)i * src_stride;
        u8* d = pool + slot * row_units;
        for (int c = threadIdx.x; c < row_units; c += blockDim.x) d[c] = s[c];
    }
}

// pool[slot(i), :cols] = bf16 bits of F32 source row i (source rows src_stride floats apart): an F32 row into a BF16
// cache. grid (rows), block 128.
extern "C" __global__ void __launch_bounds__(128)
paged_write_rows_bf16(const float* __restrict__ src, i64 src_stride, u16* __restrict__ pool, int cols,
                      const int* __restrict__ row_seq, const int* __restrict__ row_pos, const int* __restrict__ table,
                      int table_width, int block_size)
{
    const int i = blockIdx.x;
    const i64 slot = paged_pool_row(table, table_width, block_size, __ldg(row_seq + i), __ldg(row_pos + i));
    const float* const s = src + (i64)i * src_stride;
    u16* const d = pool + slot * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) d[c] = bf16_bits(s[c]);
}

// FP8 latent rows (Fp8LatentRow): pool row slot(i) = the e4m3 codes of F32 source row i (cols values, source rows
// src_stride floats apart), then one power-of-two fp32 scale per 128 values; rows of row_bytes (4-byte multiples).
// grid (rows, ceil(blocks / 4)), block 128: one warp per 128 values, as act_quant_rows.
extern "C" __global__ void __launch_bounds__(128)
paged_write_latent_fp8(const float* __restrict__ src, i64 src_stride, u8* __restrict__ pool, int cols, int row_bytes,
                       const int* __restrict__ row_seq, const int* __restrict__ row_pos, const int* __restrict__ table,
                       int table_width, int block_size)
{
    const int i = blockIdx.x;
    const int blocks = (cols + 127) / 128;
    const int kb = blockIdx.y * 4 + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (kb >= blocks) return;   // a whole warp leaves together
    const i64 slot = paged_pool_row(table, table_width, block_size, __ldg(row_seq + i), __ldg(row_pos + i));
    const float* const s = src + (i64)i * src_stride;
    u8* const d = pool + slot * row_bytes;
    const int start = kb * 128;
    float v[4];
    warp_load_block(s, start, cols, lane, v);
    const float scale = warp_act_quant_block(v, lane, cols - start, d + start, true);
    if (lane == 0) reinterpret_cast<float*>(d + cols)[kb] = scale;
}

// out[i, j] = the pool row of position indices[i, j] of row i's sequence (-1 for negative or out-of-table positions).
// indices null: every position j <= pos_i (the dense causal set), -1 past it. grid (ceil(width / 256), rows), block 256.
extern "C" __global__ void __launch_bounds__(256)
paged_pool_rows(const int* __restrict__ indices, int* __restrict__ out, int width, const int* __restrict__ row_seq,
                const int* __restrict__ row_pos, const int* __restrict__ table, int table_width, int block_size)
{
    const int i = blockIdx.y;
    const int j = blockIdx.x * 256 + threadIdx.x;
    if (j >= width) return;
    const int s = __ldg(row_seq + i);
    const int p = indices != nullptr ? __ldg(indices + (i64)i * width + j) : (j <= __ldg(row_pos + i) ? j : -1);
    const bool inTable = p >= 0 && p / block_size < table_width;
    out[(i64)i * width + j] = inTable ? (int)paged_pool_row(table, table_width, block_size, s, p) : -1;
}
