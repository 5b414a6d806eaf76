// elementwise.cu - embedding, bf16 rounding/packing, SwiGLU, residual add, MoE row gather/scatter, indexer weights.
// Launchers: ElementwiseLauncher. Pointers arrive already offset to the first element used.

// out[i, :] = fp32(table[ids[i], :]) for a bf16 table [vocab, width]; grid.x = token i, block strides the row.
// An id outside [0, vocab) zeroes its row and records (1, i, id) in error[0..2] (first one wins); the device throws it
// at the next synchronisation.
extern "C" __global__ void embed_bf16(const u16* table, const int* ids, int width, int vocab, float* out, int* error)
{
    int i = blockIdx.x;
    int id = ids[i];
    float* row = out + (i64)i * width;
    bool valid = id >= 0 && id < vocab;
    if (!valid && threadIdx.x == 0 && atomicCAS(error, 0, 1) == 0) { error[1] = i; error[2] = id; }
    const u16* src = table + (i64)(valid ? id : 0) * width;
    for (int c = threadIdx.x; c < width; c += blockDim.x) row[c] = valid ? bf16_to_float(src[c]) : 0.0f;
}

// As embed_bf16 for an fp32 table, each value rounded to bf16 (as the CPU device does).
extern "C" __global__ void embed_f32(const float* table, const int* ids, int width, int vocab, float* out, int* error)
{
    int i = blockIdx.x;
    int id = ids[i];
    float* row = out + (i64)i * width;
    bool valid = id >= 0 && id < vocab;
    if (!valid && threadIdx.x == 0 && atomicCAS(error, 0, 1) == 0) { error[1] = i; error[2] = id; }
    const float* src = table + (i64)(valid ? id : 0) * width;
    for (int c = threadIdx.x; c < width; c += blockDim.x) row[c] = valid ? bf16_round(src[c]) : 0.0f;
}

// y[r, c] = bf16(y[r, c]) over a strided [rows, cols] view; grid.x = row (rows may exceed grid.y's 65535),
// grid.y * block covers the columns.
extern "C" __global__ void round_bf16_rows(float* y, int rows, int cols, int stride)
{
    int r = blockIdx.x;
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (r < rows && c < cols) { float* p = y + (i64)r * stride + c; *p = bf16_round(*p); }
}

// out[r, c] = bf16 bits of x[r, c]: a strided fp32 view packed dense [rows, cols] for cuBLAS (exact for bf16 values).
extern "C" __global__ void pack_bf16_rows(const float* x, int rows, int cols, int stride, u16* out)
{
    int r = blockIdx.x;
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (r < rows && c < cols) out[(i64)r * cols + c] = bf16_bits(x[(i64)r * stride + c]);
}

// y[r, c] (strided fp32 view) = the bf16 packed[r, c] ([rows, cols] dense), exactly.
extern "C" __global__ void unpack_bf16_rows(const u16* packed, int rows, int cols, float* y, int stride)
{
    int r = blockIdx.x;
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (r < rows && c < cols) y[(i64)r * stride + c] = bf16_to_float(packed[(i64)r * cols + c]);
}

// gate[i] = bf16(silu(gate[i]) * up[i]), silu(g) = g / (1 + e^-g) in fp32.
extern "C" __global__ void silu_mul(float* gate, const float* up, int count)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    gate[i] = silu_mul_bf16(gate[i], up[i]);
}

// out[i] = bf16(a[i] + b[i]); out may alias a or b.
extern "C" __global__ void add_round(const float* a, const float* b, float* out, int count)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) out[i] = bf16_round(a[i] + b[i]);
}

// out[r, :] = x[rows[r], :] for r < count; grid.x = r, grid.y * block covers the columns.
extern "C" __global__ void gather_rows(const float* x, const int* rows, int count, int width, float* out)
{
    int r = blockIdx.x;
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (r < count && c < width) out[(i64)r * width + c] = x[(i64)rows[r] * width + c];
}

// sum[rows[r], c] += y[r, c] * scales[r] for r = 0, 1, ... in order: each thread owns one column and walks the rows,
// so repeated target rows never race and the result does not depend on scheduling.
extern "C" __global__ void scatter_add_scaled(const float* y, const int* rows, const float* scales, int count, int width, float* sum)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= width) return;
    for (int r = 0; r < count; r++)
    {
        float* target = sum + (i64)rows[r] * width + c;
        *target = *target + y[(i64)r * width + c] * scales[r];
    }
}

// weights[i] = ((weights[i] * head_scale) * q_scales[i]) * dim_scale (the indexer's per-head weights).
extern "C" __global__ void scale_indexer_weights(float* weights, const float* q_scales, int count, float head_scale, float dim_scale)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) weights[i] = weights[i] * head_scale * q_scales[i] * dim_scale;
}
