// fp8_gemm.cu — y = x·Wᵀ for FP8 e4m3 activations and weights with 128-wide block scales, the reference fp8_gemm
// (Fp8BlockGemm.Dot) bit for bit: per 128-wide K block a fresh fp32 partial sums the exact e4m3 products in ascending
// k; then acc += partial * (a_scale * w_scale), K blocks ascending, separate multiply and add (--fmad=false).
// A plain shared-memory tiled kernel: correctness first, tensor cores come with the performance issue.
// Launchers: Fp8GemmLauncher.

#define TILE_M 64
#define TILE_N 64
#define TILE_K 32
#define SCALE_BLOCK 128

// a: codes [rows, in] dense; a_scales [rows, k_blocks]; w: codes [out, in]; w_scales [ceil(out/128), k_blocks];
// y: [rows, out] with row stride y_stride. grid = (ceil(out/64), ceil(rows/64)), block = 256 threads; thread (tx, ty)
// computes rows ty + 16i and columns tx + 16j, i, j < 4.
extern "C" __global__ void __launch_bounds__(256) fp8_gemm(const u8* a, const float* a_scales, const u8* w,
    const float* w_scales, float* y, int rows, int out, int in, int y_stride)
{
    __shared__ float as[TILE_K][TILE_M + 1];   // [k][m], decoded activation codes
    __shared__ float ws[TILE_K][TILE_N + 1];   // [k][n], decoded weight codes
    int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    int row0 = blockIdx.y * TILE_M, col0 = blockIdx.x * TILE_N;
    int k_blocks = (in + SCALE_BLOCK - 1) / SCALE_BLOCK;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    for (int kb = 0; kb < k_blocks; kb++)
    {
        float partial[4][4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) partial[i][j] = 0.0f;
        int k_end = min(in, (kb + 1) * SCALE_BLOCK);
        for (int k0 = kb * SCALE_BLOCK; k0 < k_end; k0 += TILE_K)
        {
            // 64x32 codes of each operand, 8 per thread; consecutive threads read consecutive k (coalesced).
            for (int e = tid; e < TILE_M * TILE_K; e += 256)
            {
                int m = e / TILE_K, k = e % TILE_K;
                int gr = row0 + m, gn = col0 + m, gk = k0 + k;
                bool k_ok = gk < k_end;
                as[k][m] = (k_ok && gr < rows) ? e4m3_to_float(a[(i64)gr * in + gk]) : 0.0f;
                ws[k][m] = (k_ok && gn < out) ? e4m3_to_float(w[(i64)gn * in + gk]) : 0.0f;
            }
            __syncthreads();
            for (int k = 0; k < TILE_K; k++)
            {
                float av[4], wv[4];
                for (int i = 0; i < 4; i++) av[i] = as[k][ty + 16 * i];
                for (int j = 0; j < 4; j++) wv[j] = ws[k][tx + 16 * j];
                // products of e4m3 values are exact in fp32; padding adds +0, which leaves the partial unchanged
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) partial[i][j] = partial[i][j] + av[i] * wv[j];
            }
            __syncthreads();
        }
        for (int i = 0; i < 4; i++)
        {
            int r = row0 + ty + 16 * i;
            if (r >= rows) continue;
            float a_scale = a_scales[(i64)r * k_blocks + kb];
            for (int j = 0; j < 4; j++)
            {
                int n = col0 + tx + 16 * j;
                if (n >= out) continue;
                float scale = a_scale * w_scales[(i64)(n / SCALE_BLOCK) * k_blocks + kb];
                acc[i][j] = acc[i][j] + partial[i][j] * scale;
            }
        }
    }
    for (int i = 0; i < 4; i++)
    {
        int r = row0 + ty + 16 * i;
        if (r >= rows) continue;
        for (int j = 0; j < 4; j++)
        {
            int n = col0 + tx + 16 * j;
            if (n < out) y[(i64)r * y_stride + n] = acc[i][j];
        }
    }
}
