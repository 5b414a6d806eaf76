// moe_grouped.cu - the routed experts of a MoE layer without a host round trip: a plan that groups the (token, pick)
// pairs by expert on the device, SwiGLU with the down projection's act-quant fused, and the weighted combine.
// The expert GEMMs in between are fp8_gemm_grouped_m16/m64 (fp8_gemm.cu). Launchers: MoeGroupedLauncher.

#define PLAN_THREADS 1024
#define PLAN_WARPS (PLAN_THREADS / 32)

// ids [pairs] expert of each (token, pick) pair, pair p = token * per_token + pick; experts <= PLAN_THREADS.
// Writes: row_token [pairs] the token of each grouped row (rows of expert e contiguous, experts ascending, tokens
// ascending within an expert); pair_row [pairs] the grouped row of each pair (-1 for an id outside 0..experts-1, which
// the layer rejects before it gets here); tiles [.] = (expert, first row, row end) per tile of at most bm rows;
// tile_count [1]. One block of PLAN_THREADS. Dynamic shared memory: (PLAN_WARPS + 3) * experts + 1 ints.
extern "C" __global__ void __launch_bounds__(PLAN_THREADS) moe_plan(const int* ids, int pairs, int per_token, int experts,
    int bm, int* row_token, int* pair_row, int4* tiles, int* tile_count)
{
    extern __shared__ int plan_shared[];
    int* warp_counts = plan_shared;                     // [PLAN_WARPS][experts]: this chunk's pairs per warp and expert
    int* first_row = warp_counts + PLAN_WARPS * experts; // [experts]: the expert's first grouped row
    int* filled = first_row + experts;                  // [experts]: rows placed so far
    int* first_tile = filled + experts;                 // [experts + 1]
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

    // 1. rows per expert
    for (int e = tid; e < experts; e += PLAN_THREADS) filled[e] = 0;
    __syncthreads();
    for (int p = tid; p < pairs; p += PLAN_THREADS)
    {
        int e = ids[p];
        if (e >= 0 && e < experts) atomicAdd(&filled[e], 1);
    }
    __syncthreads();

    // 2. first row and first tile of each expert: exclusive scans of rows and tiles over the experts (thread e holds
    // expert e; experts <= PLAN_THREADS), warp shuffles, then the warps' totals
    {
        const int e = tid;
        const int rows = e < experts ? filled[e] : 0, tiles_e = (rows + bm - 1) / bm;
        int row_sum = rows, tile_sum = tiles_e;   // inclusive within the warp
        for (int d = 1; d < 32; d <<= 1)
        {
            int r = __shfl_up_sync(0xffffffffu, row_sum, d), t = __shfl_up_sync(0xffffffffu, tile_sum, d);
            if (lane >= d) { row_sum += r; tile_sum += t; }
        }
        int* warp_rows = warp_counts;               // [PLAN_WARPS] (free until step 3)
        int* warp_tiles = warp_counts + PLAN_WARPS;
        if (lane == 31) { warp_rows[warp] = row_sum; warp_tiles[warp] = tile_sum; }
        __syncthreads();
        int row_base = 0, tile_base = 0;
        for (int w = 0; w < warp; w++) { row_base += warp_rows[w]; tile_base += warp_tiles[w]; }
        if (e < experts)
        {
            first_row[e] = row_base + row_sum - rows;
            first_tile[e] = tile_base + tile_sum - tiles_e;
            if (e == experts - 1) { first_tile[experts] = tile_base + tile_sum; *tile_count = tile_base + tile_sum; }
        }
    }
    __syncthreads();
    for (int e = tid; e < experts; e += PLAN_THREADS)
    {
        int rows = filled[e], start = first_row[e];
        for (int i = 0; i < first_tile[e + 1] - first_tile[e]; i++)
            tiles[first_tile[e] + i] = make_int4(e, start + i * bm, min(start + rows, start + (i + 1) * bm), 0);
        filled[e] = 0;
    }
    __syncthreads();

    // 3. place the pairs in order, a chunk of PLAN_THREADS at a time: a pair's row is its expert's first row + the
    // expert's pairs in earlier chunks + those earlier in this chunk (earlier warps, then earlier lanes of its warp)
    for (int base = 0; base < pairs; base += PLAN_THREADS)
    {
        const int p = base + tid;
        const int e = p < pairs ? ids[p] : -1;
        const bool valid = e >= 0 && e < experts;
        for (int i = tid; i < PLAN_WARPS * experts; i += PLAN_THREADS) warp_counts[i] = 0;
        __syncthreads();
        const unsigned same = __match_any_sync(0xffffffffu, valid ? e : -1);
        const int before_in_warp = __popc(same & ((1u << lane) - 1u));
        if (valid && before_in_warp == 0) warp_counts[warp * experts + e] = __popc(same);
        __syncthreads();
        if (valid)
        {
            int row = first_row[e] + filled[e] + before_in_warp;
            for (int w = 0; w < warp; w++) row += warp_counts[w * experts + e];
            row_token[row] = p / per_token;
            pair_row[p] = row;
        }
        else if (p < pairs)
            pair_row[p] = -1;
        __syncthreads();
        for (int x = tid; x < experts; x += PLAN_THREADS)
        {
            int n = 0;
            for (int w = 0; w < PLAN_WARPS; w++) n += warp_counts[w * experts + x];
            filled[x] += n;
        }
        __syncthreads();
    }
}

// gate_up: bf16 [rows, 2 * inner], gate in columns 0 .. inner, up after it. Per row: h = bf16(silu(g) * u)
// (silu_mul_bf16, as silu_mul), then act-quant of h per 128 columns (warp_act_quant_block, as act_quant_rows):
// codes [rows, inner], scales [rows, ceil(inner/128)]. One warp per 128-column block; grid = (rows, ceil(blocks / 4)),
// block = 128 threads.
extern "C" __global__ void moe_silu_quant(const u16* gate_up, int inner, u8* codes, float* scales, int power_of_two)
{
    const int blocks = (inner + 127) >> 7;
    const int kb = blockIdx.y * 4 + (threadIdx.x >> 5), lane = threadIdx.x & 31, r = blockIdx.x;
    if (kb >= blocks) return;   // a whole warp leaves together
    const u16* gr = gate_up + (i64)r * 2 * inner;
    float v[4];
    for (int j = 0; j < 4; j++)
    {
        int c = kb * 128 + j * 32 + lane;
        v[j] = c < inner ? silu_mul_bf16(bf16_to_float(gr[c]), bf16_to_float(gr[inner + c])) : 0.0f;
    }
    const float scale = warp_act_quant_block(v, lane, inner - kb * 128, codes + (i64)r * inner + kb * 128, power_of_two != 0);
    if (lane == 0) scales[(i64)r * blocks + kb] = scale;
}

// sum[t, c] = sum over picks j ascending of y[pair_row[t, j], c] * weights[t, j]: fp32, from 0, separate multiply and
// add (scatter_add_scaled's order: the picks' ids ascend, as the reference's expert loop). y bf16 [rows, width];
// pair_row, weights [tokens, per_token]; sum F32 [tokens, width]. grid = (tokens, ceil(width / 256)), block = 256.
extern "C" __global__ void moe_combine(const u16* y, const int* pair_row, const float* weights, int per_token, int width, float* sum)
{
    const int t = blockIdx.x, c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c >= width) return;
    float acc = 0.0f;
    for (int j = 0; j < per_token; j++)
    {
        const int row = pair_row[t * per_token + j];
        if (row >= 0) acc = acc + bf16_to_float(y[(i64)row * width + c]) * weights[t * per_token + j];
    }
    sum[(i64)t * width + c] = acc;
}
