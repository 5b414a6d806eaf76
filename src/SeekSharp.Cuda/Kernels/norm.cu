// norm.cu - RMSNorm (fused with the residual add, and on strided views) and LayerNorm. One block per row; each thread
// touches the same columns in both passes, so in-place use (y aliasing h or x) is safe. Launchers: NormLauncher.

#define NORM_HELD 8   // columns per thread the row kernels keep in registers (rows up to 8 * blockDim.x wide)

// hasResidual: s = h + residual in fp32, residual <- bf16(s); else s = h, residual <- h. y <- bf16(w * s*rsqrt(mean(s^2)+eps)).
// Rows up to NORM_HELD * blockDim.x wide keep s in registers: every load of a pass is issued before the first store
// (h, residual and y may alias, so a store could otherwise hold back the next column's loads), and the second pass
// reads no y back. The sums and their order are the same either way.
extern "C" __global__ void add_rmsnorm(const float* h, float* residual, int has_residual, const float* w, float eps, float* y, int width)
{
    __shared__ float scratch[32];
    i64 base = (i64)blockIdx.x * width;
    float squares = 0.0f;
    if (width <= NORM_HELD * (int)blockDim.x)
    {
        float s[NORM_HELD];
        #pragma unroll
        for (int j = 0; j < NORM_HELD; j++)
        {
            int c = threadIdx.x + j * blockDim.x;
            s[j] = c < width ? (has_residual ? h[base + c] + residual[base + c] : h[base + c]) : 0.0f;
        }
        #pragma unroll
        for (int j = 0; j < NORM_HELD; j++)
        {
            int c = threadIdx.x + j * blockDim.x;
            if (c >= width) break;
            residual[base + c] = bf16_round(s[j]);
            squares += s[j] * s[j];
        }
        float inv = 1.0f / sqrtf(block_sum(squares, scratch) / (float)width + eps);
        #pragma unroll
        for (int j = 0; j < NORM_HELD; j++)
        {
            int c = threadIdx.x + j * blockDim.x;
            if (c >= width) break;
            y[base + c] = bf16_round(w[c] * (s[j] * inv));
        }
        return;
    }
    for (int c = threadIdx.x; c < width; c += blockDim.x)
    {
        float s = has_residual ? h[base + c] + residual[base + c] : h[base + c];
        residual[base + c] = bf16_round(s);
        y[base + c] = s;   // the unrounded sum, normalised below
        squares += s * s;
    }
    float inv = 1.0f / sqrtf(block_sum(squares, scratch) / (float)width + eps);
    for (int c = threadIdx.x; c < width; c += blockDim.x) y[base + c] = bf16_round(w[c] * (y[base + c] * inv));
}

// y[r, :] = bf16(w * x[r, :]*rsqrt(mean(x^2)+eps)) for strided views x, y (may be the same view).
extern "C" __global__ void rmsnorm_rows(const float* x, int x_stride, const float* w, float eps, float* y, int y_stride, int cols)
{
    __shared__ float scratch[32];
    const float* xr = x + (i64)blockIdx.x * x_stride;
    float* yr = y + (i64)blockIdx.x * y_stride;
    float squares = 0.0f;
    if (cols <= NORM_HELD * (int)blockDim.x)
    {
        // x held in registers, as add_rmsnorm
        float v[NORM_HELD];
        #pragma unroll
        for (int j = 0; j < NORM_HELD; j++)
        {
            int c = threadIdx.x + j * blockDim.x;
            v[j] = c < cols ? xr[c] : 0.0f;
        }
        #pragma unroll
        for (int j = 0; j < NORM_HELD; j++)
            if (threadIdx.x + j * blockDim.x < cols) squares += v[j] * v[j];
        float inv = 1.0f / sqrtf(block_sum(squares, scratch) / (float)cols + eps);
        #pragma unroll
        for (int j = 0; j < NORM_HELD; j++)
        {
            int c = threadIdx.x + j * blockDim.x;
            if (c >= cols) break;
            yr[c] = bf16_round(w[c] * (v[j] * inv));
        }
        return;
    }
    for (int c = threadIdx.x; c < cols; c += blockDim.x) squares += xr[c] * xr[c];
    float inv = 1.0f / sqrtf(block_sum(squares, scratch) / (float)cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = bf16_round(w[c] * (xr[c] * inv));
}

// In place: x[r, :] = bf16((x - mean) * rsqrt(var + eps) * w + b), biased variance, fp32.
extern "C" __global__ void layernorm_rows(float* x, int stride, int cols, const float* w, const float* b, float eps)
{
    __shared__ float scratch[32];
    float* xr = x + (i64)blockIdx.x * stride;
    float sum = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += xr[c];
    float mean = block_sum(sum, scratch) / (float)cols;
    float squares = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) { float d = xr[c] - mean; squares += d * d; }
    float inv = 1.0f / sqrtf(block_sum(squares, scratch) / (float)cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) xr[c] = bf16_round((xr[c] - mean) * inv * w[c] + b[c]);
}
