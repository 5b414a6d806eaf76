// quant.cu - activation quantisation to FP8 e4m3 with per-128-column scales (ActQuant.QuantizeRow). Launchers: QuantLauncher.

#define QUANT_BLOCK 128
#define QUANT_WARPS 4

// x: strided [rows, cols] view; codes: dense [rows, cols]; the scale of row r, block kb at scales[r * row_step +
// kb * block_step] ([rows, blocks] row-major: blocks, 1; block-major for cuBLASLt: 1, rows).
// One warp per 128-column block (4 values per lane): amax -> scale -> e4m3(clamp(x / scale, +-448)).
// grid = (rows, ceil(blocks / 4)) (rows first: indexer q has tokens x heads rows), block = 128 threads.
extern "C" __global__ void act_quant_rows(const float* x, int cols, int stride, u8* codes, float* scales, int row_step,
    int block_step, int power_of_two)
{
    int blocks = (cols + QUANT_BLOCK - 1) / QUANT_BLOCK;
    int kb = blockIdx.y * QUANT_WARPS + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    int r = blockIdx.x;
    if (kb >= blocks) return;   // a whole warp leaves together
    const float* xr = x + (i64)r * stride;
    int start = kb * QUANT_BLOCK;
    float v[4];
    warp_load_block(xr, start, cols, lane, v);
    float scale = warp_act_quant_block(v, lane, cols - start, codes + (i64)r * cols + start, power_of_two != 0);
    if (lane == 0) scales[(i64)r * row_step + (i64)kb * block_step] = scale;
}

// In place per row and 128-column block: x = bf16(e4m3(x / scale) * scale) (ActQuant.FakeQuantizeRowToBf16, the
// reference's FP8 latent). x: strided [rows, cols] view; grid and block as act_quant_rows.
extern "C" __global__ void fake_quant_rows(float* x, int cols, int stride, int power_of_two)
{
    int blocks = (cols + QUANT_BLOCK - 1) / QUANT_BLOCK;
    int kb = blockIdx.y * QUANT_WARPS + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (kb >= blocks) return;   // a whole warp leaves together
    float* xr = x + (i64)blockIdx.x * stride;
    int start = kb * QUANT_BLOCK;
    float v[4];
    warp_load_block(xr, start, cols, lane, v);
    u8 q[4];
    float scale = warp_act_quant_codes(v, q, power_of_two != 0);
    for (int j = 0; j < 4; j++)
    {
        int c = start + j * 32 + lane;
        if (c < cols) xr[c] = bf16_round(e4m3_to_float(q[j]) * scale);
    }
}
