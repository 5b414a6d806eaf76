// rotary.cu - rotary embeddings (both pairings) and the normalised Walsh-Hadamard transform. Launchers: RotaryLauncher.

// Rotates one row in place at position pos: (a, b) -> (a*cos - b*sin, a*sin + b*cos), bf16 result; interleaved pairs
// (2i, 2i+1), else (i, i + cols/2); cos/sin [positions, cols/2]. Threads of the block stride over the pairs.
static __device__ __forceinline__ void rope_row(float* row, int cols, i64 pos, const float* cos_table, const float* sin_table,
    int interleaved)
{
    int half = cols / 2;
    const float* cp = cos_table + pos * half;
    const float* sp = sin_table + pos * half;
    for (int i = threadIdx.x; i < half; i += blockDim.x)
    {
        int ia = interleaved ? 2 * i : i;
        int ib = interleaved ? 2 * i + 1 : i + half;
        float a = row[ia], b = row[ib];
        row[ia] = bf16_round(a * cp[i] - b * sp[i]);
        row[ib] = bf16_round(a * sp[i] + b * cp[i]);
    }
}

// In place on a strided [rows, cols] view: row r at position start_pos + r / rows_per_position. grid.x = row.
extern "C" __global__ void rope_rows(float* x, int cols, int stride, int rows_per_position, int start_pos,
    const float* cos_table, const float* sin_table, int interleaved)
{
    int r = blockIdx.x;
    rope_row(x + (i64)r * stride, cols, start_pos + r / rows_per_position, cos_table, sin_table, interleaved);
}

// rope_rows with a position per row group: row r at positions[r / rows_per_position] (rows of several sequences).
// A position past the cos/sin table (table_positions) is a caller bug: trap rather than read past the table.
extern "C" __global__ void rope_rows_at(float* x, int cols, int stride, int rows_per_position, const int* positions,
    int table_positions, const float* cos_table, const float* sin_table, int interleaved)
{
    int r = blockIdx.x;
    i64 pos = positions[r / rows_per_position];
    if (pos < 0 || pos >= table_positions) __trap();
    rope_row(x + (i64)r * stride, cols, pos, cos_table, sin_table, interleaved);
}

// In place per row of a strided view: bf16(H*x * scale), n a power of two <= 1024, scale = fp32(n^-1/2).
// Same butterfly stages as Hadamard.TransformInPlace (h = 1, 2, ..., n/2; (a, b) -> (a+b, a-b)), so bit-identical.
// grid.x = row, blockDim.x = max(n/2, 1) rounded up to 32.
extern "C" __global__ void hadamard_rows(float* x, int stride, int n, float scale)
{
    __shared__ float v[1024];
    float* row = x + (i64)blockIdx.x * stride;
    for (int i = threadIdx.x; i < n; i += blockDim.x) v[i] = row[i];
    for (int h = 1; h < n; h <<= 1)
    {
        __syncthreads();
        for (int t = threadIdx.x; t < n / 2; t += blockDim.x)
        {
            int i = (t / h) * (2 * h) + (t % h);
            float a = v[i], b = v[i + h];
            v[i] = a + b;
            v[i + h] = a - b;
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x) row[i] = bf16_round(v[i] * scale);
}
