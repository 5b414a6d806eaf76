// fp8_gemm.cu - y = x*W^T for FP8 e4m3 activations and weights with 128-wide block scales, the reference fp8_gemm
// (Fp8BlockGemm.Dot) bit for bit: per 128-wide K block a fresh fp32 partial sums the exact e4m3 products in ascending
// k; then acc += partial * (a_scale * w_scale), K blocks ascending, separate multiply and add (--fmad=false).
// Three kernels with those semantics (Fp8GemmLauncher picks one by the row count and In):
// - fp8_gemv_r1..r8: a streaming GEMV for decode-sized inputs, one warp per output, 16-byte weight loads (where
//   fp8_gemv_tc.cu cannot run: sm_80, or SEEKSHARP_FP8_GEMV=simt);
// - fp8_gemm_tc: tensor cores (mma.sync e4m3 on sm_89+, f16 on sm_80; fp32 partial per K block) for more rows, and
//   the grouped expert kernels fp8_gemm_grouped_m16/m64 built from the same tile code;
// - fp8_gemm: the plain shared-memory tiled kernel, the fallback when In % 16 != 0 or a buffer is not 16-byte aligned.
// H200 numbers (benchmarks/kernel-lab/fp8_gemv_bench.h200.txt, CUDA-graph timings): 1 row of a 2048x7168 / 7168x2048 /
// 24576x1536 weight 11.5 / 9.3 / 20.9 us with the GEMV (6.7 / 6.8 / 14.0 with fp8_gemv_tc); 4096 rows x 2048 x 7168
// 0.58 ms with fp8_gemm_tc (8.5 ms tiled, round 7).

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
                // products of e4m3 values are exact in fp32, so an explicit FMA equals the separate multiply and add
                // (one rounding either way) at half the instructions; padding adds +0, leaving the partial unchanged
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) partial[i][j] = fmaf(av[i], wv[j], partial[i][j]);
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

// ---- decode-sized inputs: fp8_gemv_rR, R = 1..8 rows ---------------------------------------------------------------
// For a few rows the tiled kernel is latency-bound (out = 2048 gives 32 blocks on 132 SMs, one byte load per code,
// K walked sequentially). Here one warp computes one output column n for all R rows and streams W[n, :] with 16-byte
// loads, several in flight per lane; the R activation rows, decoded to fp32, sit in shared memory for the whole block.
// A warp takes 1024 bytes of the weight row per step (2 x 16 bytes per lane): lanes 4g..4g+3 own K block kb0 + g of
// the step (its 8 chunks of 16 codes: lane q takes chunks q and q + 4, so each load instruction reads whole 32-byte
// sectors). Each lane sums its 32 exact products (fp32, exact e4m3 products: an FMA equals the separate multiply and
// add here), 2 shuffles finish the K block's partial, then the warp adds partial * (a_scale * w_scale) into acc in
// ascending kb, one K block at a time, taken from lanes 0, 4, .., 28 - the reference's between-block order exactly.

#ifndef GEMV_UNROLL
#define GEMV_UNROLL 2      // 1024-byte steps per batch: 2*U 16-byte loads in flight per lane, and as many prefetched
#endif
#define GEMV_WARPS 8       // warps per block (256 threads); the launcher sizes the grid

// Four e4m3 codes (byte j of the word = code j) to their exact fp32 values.
__device__ __forceinline__ void e4m3x4_to_float(u32 codes, float& f0, float& f1, float& f2, float& f3)
{
#if __CUDA_ARCH__ >= 890
    // sm_89+: pairs convert to f16x2 in one instruction; every e4m3 value (NaN too) is an f16 normal, f16 -> fp32 exact
    u32 lo, hi;
    asm("{ .reg .b16 l, h;\n\tmov.b32 {l, h}, %2;\n\tcvt.rn.f16x2.e4m3x2 %0, l;\n\tcvt.rn.f16x2.e4m3x2 %1, h;\n\t}"
        : "=r"(lo), "=r"(hi) : "r"(codes));
    asm("{ .reg .b16 l, h;\n\tmov.b32 {l, h}, %2;\n\tcvt.f32.f16 %0, l;\n\tcvt.f32.f16 %1, h;\n\t}" : "=f"(f0), "=f"(f1) : "r"(lo));
    asm("{ .reg .b16 l, h;\n\tmov.b32 {l, h}, %2;\n\tcvt.f32.f16 %0, l;\n\tcvt.f32.f16 %1, h;\n\t}" : "=f"(f2), "=f"(f3) : "r"(hi));
#else
    f0 = e4m3_to_float((u8)codes); f1 = e4m3_to_float((u8)(codes >> 8));
    f2 = e4m3_to_float((u8)(codes >> 16)); f3 = e4m3_to_float((u8)(codes >> 24));
#endif
}

// Shared-memory slot of float4 i (codes 4i..4i+3) of activation chunk c (16 codes): 4c + (i ^ swizzle(c)). The 8
// lanes of one 128-bit shared-memory phase read chunks {q, q+2, q+8, q+10} x two parities (see the lane layout
// above); bits 1 and 3 of c spread them over the 4 slots, so the phase touches 8 distinct bank groups.
__device__ __forceinline__ int gemv_swizzle(int c) { return ((c >> 1) & 1) | (((c >> 3) & 1) << 1); }

// The weight codes of one batch (output n, step s): dst[u][j] = chunk s*64U + 64u + lane_chunk + 4j of W[n, :], zero
// past the row's end (a zero code is +0, and those lanes skip the math anyway).
template <int U>
__device__ __forceinline__ void gemv_load(uint4 (&dst)[U][2], const u8* w, int n, int s, int in, int chunks, int lane_chunk)
{
    const uint4* row = (const uint4*)(w + (i64)n * in);
    #pragma unroll
    for (int u = 0; u < U; u++)
        #pragma unroll
        for (int j = 0; j < 2; j++)
        {
            int c = s * 64 * U + 64 * u + lane_chunk + 4 * j;
            dst[u][j] = c < chunks ? load_stream16(row + c) : make_uint4(0u, 0u, 0u, 0u);
        }
}

// a: codes [R, in] dense (in % 16 == 0, 16-byte aligned); a_scales [R, k_blocks]; w: codes [out, in] (16-byte
// aligned); w_scales [ceil(out/128), k_blocks]; y [R, out] with row stride y_stride, each value rounded to bf16 when
// round_bf16 (the Linear's rounding, saving its separate pass). block = 32*GEMV_WARPS threads, any grid: warp v of the
// grid computes outputs v, v + warps, ...; dynamic shared memory R * in * 4 bytes.
template <int R, int U>
__device__ __forceinline__ void fp8_gemv(const u8* __restrict__ a, const float* __restrict__ a_scales,
    const u8* __restrict__ w, const float* __restrict__ w_scales, float* __restrict__ y, int out, int in, int y_stride,
    int round_bf16)
{
    extern __shared__ float4 act[];   // [R][in/16][4] decoded activations, float4 slots swizzled
    const int lane = threadIdx.x & 31;
    const int warp = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int warp_count = gridDim.x * (blockDim.x >> 5);
    const int chunks = in >> 4;                          // 16-code chunks per row
    const int k_blocks = (in + 127) >> 7;
    const int steps = (chunks + 64 * U - 1) / (64 * U);  // batches per output
    const int batches = (warp < out ? (out - 1 - warp) / warp_count + 1 : 0) * steps;
    const int lane_chunk = 8 * (lane >> 2) + (lane & 3); // chunks lane_chunk and lane_chunk + 4 of each 1024-byte step
    const int swz = gemv_swizzle(lane_chunk);            // == gemv_swizzle(any chunk this lane reads)

    // the first batch's loads go out before the activations are staged: their latency overlaps the staging
    uint4 cur[U][2], nxt[U][2];
    if (batches > 0) gemv_load<U>(cur, w, warp, 0, in, chunks, lane_chunk);

    // stage the R activation rows: one word of 4 codes per thread and iteration, coalesced
    const u32* a32 = (const u32*)a;
    const int row_words = in >> 2;
    for (int e = threadIdx.x; e < R * row_words; e += blockDim.x)
    {
        int r = e / row_words, q = e - r * row_words, c = q >> 2, i = q & 3;
        float4 v;
        e4m3x4_to_float(a32[e], v.x, v.y, v.z, v.w);
        act[((i64)r * chunks + c) * 4 + (i ^ gemv_swizzle(c))] = v;
    }
    __syncthreads();

    float acc[R];
    #pragma unroll
    for (int r = 0; r < R; r++) acc[r] = 0.0f;

    for (int b = 0; b < batches; b++)
    {
        const int o = b / steps, s = b - o * steps, n = warp + o * warp_count;
        if (b + 1 < batches)   // prefetch the next batch (this output's next step, or the warp's next output)
        {
            int o1 = (b + 1) / steps;
            gemv_load<U>(nxt, w, warp + o1 * warp_count, b + 1 - o1 * steps, in, chunks, lane_chunk);
        }
        const float* w_scale_row = w_scales + (i64)(n >> 7) * k_blocks;
        #pragma unroll
        for (int u = 0; u < U; u++)
        {
            const int base = s * 64 * U + 64 * u;   // first chunk of this 1024-byte slice: K blocks kb0 .. kb0 + 7
            const int kb0 = base >> 3;
            float p[R];
            #pragma unroll
            for (int r = 0; r < R; r++) p[r] = 0.0f;
            #pragma unroll
            for (int j = 0; j < 2; j++)
            {
                const int c = base + lane_chunk + 4 * j;
                if (c >= chunks) continue;
                const uint4 q = cur[u][j];
                float wf[16];
                e4m3x4_to_float(q.x, wf[0], wf[1], wf[2], wf[3]);
                e4m3x4_to_float(q.y, wf[4], wf[5], wf[6], wf[7]);
                e4m3x4_to_float(q.z, wf[8], wf[9], wf[10], wf[11]);
                e4m3x4_to_float(q.w, wf[12], wf[13], wf[14], wf[15]);
                #pragma unroll
                for (int r = 0; r < R; r++)
                {
                    const float4* ar = act + ((i64)r * chunks + c) * 4;
                    #pragma unroll
                    for (int i = 0; i < 4; i++)
                    {
                        const float4 v = ar[i ^ swz];
                        p[r] = fmaf(v.x, wf[4 * i], p[r]);       // exact products: fmaf == p + v*w here
                        p[r] = fmaf(v.y, wf[4 * i + 1], p[r]);
                        p[r] = fmaf(v.z, wf[4 * i + 2], p[r]);
                        p[r] = fmaf(v.w, wf[4 * i + 3], p[r]);
                    }
                }
            }
            // the 4 lanes of a K block hold its partial after two butterflies; scale it in that block's lanes
            const int kb = kb0 + (lane >> 2);
            const float w_scale = kb < k_blocks ? w_scale_row[kb] : 0.0f;
            float scaled[R];
            #pragma unroll
            for (int r = 0; r < R; r++)
            {
                p[r] = p[r] + __shfl_xor_sync(0xffffffffu, p[r], 1);
                p[r] = p[r] + __shfl_xor_sync(0xffffffffu, p[r], 2);
                scaled[r] = kb < k_blocks ? p[r] * (a_scales[r * k_blocks + kb] * w_scale) : 0.0f;
            }
            // ascending kb, separate multiply (above) and add: acc = acc + partial * (a_scale * w_scale)
            #pragma unroll
            for (int g = 0; g < 8; g++)
            {
                if (kb0 + g >= k_blocks) break;   // warp-uniform
                #pragma unroll
                for (int r = 0; r < R; r++) acc[r] = acc[r] + __shfl_sync(0xffffffffu, scaled[r], 4 * g);
            }
        }
        if (s == steps - 1)
        {
            if (lane == 0)
            {
                #pragma unroll
                for (int r = 0; r < R; r++) y[(i64)r * y_stride + n] = round_bf16 ? bf16_round(acc[r]) : acc[r];
            }
            #pragma unroll
            for (int r = 0; r < R; r++) acc[r] = 0.0f;
        }
        #pragma unroll
        for (int u = 0; u < U; u++) { cur[u][0] = nxt[u][0]; cur[u][1] = nxt[u][1]; }
    }
}

#define FP8_GEMV_KERNEL(R)                                                                                            \
    extern "C" __global__ void __launch_bounds__(32 * GEMV_WARPS) fp8_gemv_r##R(const u8* a, const float* a_scales,  \
        const u8* w, const float* w_scales, float* y, int out, int in, int y_stride, int round_bf16)                  \
    {                                                                                                                 \
        fp8_gemv<R, GEMV_UNROLL>(a, a_scales, w, w_scales, y, out, in, y_stride, round_bf16);                          \
    }
FP8_GEMV_KERNEL(1)
FP8_GEMV_KERNEL(2)
FP8_GEMV_KERNEL(3)
FP8_GEMV_KERNEL(4)
FP8_GEMV_KERNEL(5)
FP8_GEMV_KERNEL(6)
FP8_GEMV_KERNEL(7)
FP8_GEMV_KERNEL(8)

// ---- many rows: fp8_gemm_tc on tensor cores -----------------------------------------------------------------------
// Per 128-wide K block a fresh fp32 fragment accumulates the block's products on the tensor cores, then
// acc = acc + partial * (a_scale * w_scale), K blocks ascending, separate multiply and add (the reference's promotion).
// sm_89+: mma.sync m16n8k32 e4m3 x e4m3 -> fp32 straight from the codes (4 steps per K block); the sums inside an
// instruction are the tensor core's, and the op tests' 1e-4 bar on fp32 results holds with them (wgmma and cuBLASLt's
// FP8 paths missed it). sm_80: mma.sync m16n8k16 f16 (every e4m3 value is an f16 normal, cvt is exact; 8 steps).
//
// Dense tile (fp8_gemm_tc): 64 rows x 128 outputs (one w_scales row per block), 8 warps as 2 (rows) x 4 (outputs),
// 32 x 32 each = 2 m16 x 4 n8 mma tiles, 2 stages of A [64][128] + W [128][128] codes filled by cp.async; the grouped
// kernels use other warp layouts and deeper rings of the same code. 16-byte chunk c of stage row r sits at chunk
// c ^ 4(r & 1), so the 8 lanes of a 128-bit shared load (rows g, g+1, chunks t..) hit distinct bank groups.
// Fragments (g = lane / 4, t = lane % 4). f16: A a0 (g, k 2t..2t+1), a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8,
// 2t+8..); B b0 (k 2t..2t+1, n g), b1 (k 2t+8.., n g). e4m3: the same with 4 codes per register (k 4t.., 16+4t..).
// C c0,c1 (g, 2t..2t+1), c2,c3 (g+8, 2t..2t+1). Inside a K block the order of k is free as long as A and B use the
// same one: lane t takes chunks t and t + 4 of its rows (one 16-byte shared load per row and half K block) and feeds
// the same words of A and B to each step, so no ldmatrix and no shuffle are needed.

#define TC_M 64
#define TC_N 128
#define TC_ROW_BYTES 128   // one K block of codes

#if __CUDA_ARCH__ < 890
// f16 bits of one e4m3fn code, exact (every e4m3 value is an f16 value): the sm_80 path of tc_f16x2
__device__ __forceinline__ u32 tc_e4m3_to_f16_bits(u32 code)
{
    u32 sign = (code & 0x80u) << 8, e = (code >> 3) & 0xfu, m = code & 7u;
    if (e == 15 && m == 7) return sign | 0x7e00u;               // NaN
    if (e != 0) return sign | ((e + 8u) << 10) | (m << 7);      // (1 + m/8)*2^(e-7)
    if (m == 0) return sign;
    u32 shift = 0;
    while (!(m & 8u)) { m <<= 1; shift++; }                     // m*2^-9 = (m'/8)*2^(-6-shift), m' in [8, 15]
    return sign | ((9u - shift) << 10) | ((m - 8u) << 7);
}
#endif

// two e4m3 codes (low 16 bits of x) -> f16x2 (low byte -> low half), exact
__device__ __forceinline__ u32 tc_f16x2(u32 x)
{
#if __CUDA_ARCH__ >= 890
    u32 r;
    asm("{ .reg .b16 l, h;\n\tmov.b32 {l, h}, %1;\n\tcvt.rn.f16x2.e4m3x2 %0, l;\n\t}" : "=r"(r) : "r"(x));
    return r;
#else
    return tc_e4m3_to_f16_bits(x & 0xffu) | (tc_e4m3_to_f16_bits((x >> 8) & 0xffu) << 16);
#endif
}

// d += a (16x16 f16) * b (16x8 f16), fp32 accumulation
__device__ __forceinline__ void tc_mma(float* d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// The cp.async work of one stage (A [BM][128] then W [BN][128] codes of one K block), fixed per thread for the whole
// K loop: each thread copies the same ITERS 16-byte chunks of every K block, so their source rows (A rows m0.. through
// a_rows when set, below m_end; W rows n0.., below out) are worked out once; chunk and destination follow from the
// thread index. Chunk c of
// stage row r sits at chunk c ^ 4(r & 1), so the 8 lanes of a 128-bit shared load (rows g, g+1, chunks t..) hit
// distinct bank groups. Chunks past a row's end or past in are zero-filled (in % 16 == 0, 16-byte aligned).
template <int BM, int BN>
struct TcStageLoader
{
    static constexpr int ITERS = ((BM + BN) * 8 + 255) / 256;
    // copy i of this thread is chunk c = tid % 8 of stage row tid / 8 + 32i: only the source rows need registers
    const u8* src[ITERS];   // row start + 16c, null for rows past the tile or copies past the stage
    const u8* any_row;      // a valid address for zero-byte copies

    __device__ __forceinline__ void init(const u8* a, const int* a_rows, const u8* w, int m0, int m_end, int n0, int out, int in)
    {
        any_row = w;
        const int c = threadIdx.x & 7;
        #pragma unroll
        for (int i = 0; i < ITERS; i++)
        {
            const int row = (threadIdx.x >> 3) + 32 * i;   // stage row: A rows 0..BM-1, then W rows
            const bool is_a = row < BM;
            const int g = is_a ? m0 + row : n0 + row - BM;
            const bool ok = row < BM + BN && g < (is_a ? m_end : out);
            src[i] = ok ? (is_a ? a + (i64)(a_rows ? a_rows[g] : g) * in : w + (i64)g * in) + 16 * c : nullptr;
        }
    }

    // K block kb into the stage at shared address base; the caller commits the group.
    __device__ __forceinline__ void load(u32 base, int kb, int in) const
    {
        const int c = threadIdx.x & 7, row0 = threadIdx.x >> 3;
        const int k = kb * TC_ROW_BYTES;
        const bool k_ok = k + 16 * c < in;
        // rows row0 + 32i share row0's parity, so one swizzled chunk serves every copy
        const u32 dst0 = base + (u32)(row0 * TC_ROW_BYTES + ((c ^ ((row0 & 1) << 2)) << 4));
        #pragma unroll
        for (int i = 0; i < ITERS; i++)
        {
            if (row0 + 32 * i >= BM + BN) continue;
            const bool ok = k_ok && src[i] != nullptr;
            cp_async16(dst0 + i * 32 * TC_ROW_BYTES, ok ? src[i] + k : any_row, ok ? 16 : 0);
        }
    }
};

// Where a tile's results go: fp32 values, or bf16 bits (rounded to nearest even) when BF16_OUT.
template <bool BF16_OUT>
__device__ __forceinline__ void tc_store(void* y, i64 at, float v)
{
    if (BF16_OUT) ((u16*)y)[at] = bf16_bits(v);
    else ((float*)y)[at] = v;
}

// One output tile of y = a * W^T: rows m0 .. min(m0 + BM, m_end), outputs n0 .. n0 + BN (below out), every K block.
// 8 warps as WM (rows) x WN (outputs), each MT m16 x NT n8 mma tiles; BN divides 128, so one w_scales row serves the
// tile. STAGES K blocks in flight (cp.async ring in smem: STAGES x (BM + BN) x 128 bytes). The k order inside a K
// block (h, then j) is the same for every tile shape, so a row's result does not depend on the tile it lands in.
// a_scales row of A row m: a_rows[m] when a_rows is set, else m; y row m at y + m * y_stride.
template <int WM, int MT, int NT, int STAGES, bool BF16_OUT>
__device__ __forceinline__ void fp8_gemm_tc_tile(u8* smem, const u8* a, const float* a_scales, const int* a_rows, int m0,
    int m_end, const u8* w, const float* w_scales, int n0, int out, int in, void* y, int y_col0, int y_stride)
{
    constexpr int WN = 8 / WM, BM = WM * MT * 16, BN = WN * NT * 8, STAGE_BYTES = (BM + BN) * TC_ROW_BYTES;
    static_assert(WM * WN == 8 && 128 % BN == 0, "8 warps; a tile within one 128-wide scale block");
    const u32 smem_base = smem_addr(smem);           // stage s: A [BM][128] then W [BN][128] at s * STAGE_BYTES
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    const int wm = warp % WM, wn = warp / WM;        // warp tile: rows MT*16 wm.., outputs NT*8 wn..
    const int k_blocks = (in + 127) >> 7;
    const float* w_scale_row = w_scales + (i64)(n0 >> 7) * k_blocks;

    TcStageLoader<BM, BN> loader;
    loader.init(a, a_rows, w, m0, m_end, n0, out, in);

    // the a_scales rows of the 2*MT rows this lane finishes (null past the tile)
    const float* a_scale_rows[MT][2];
    #pragma unroll
    for (int mt = 0; mt < MT; mt++)
        #pragma unroll
        for (int hr = 0; hr < 2; hr++)
        {
            int m = m0 + wm * MT * 16 + mt * 16 + g + 8 * hr;
            a_scale_rows[mt][hr] = m < m_end ? a_scales + (i64)(a_rows ? a_rows[m] : m) * k_blocks : nullptr;
        }

    float acc[MT][NT][4];
    tc_zero(acc);

    // prologue: K blocks 0 .. STAGES-2 in flight; one commit group per K block (empty past the end keeps the count)
    #pragma unroll
    for (int s = 0; s < STAGES - 1; s++)
    {
        if (s < k_blocks) loader.load(smem_base + s * STAGE_BYTES, s, in);
        cp_async_commit();
    }
    for (int kb = 0; kb < k_blocks; kb++)
    {
        // refill the slot computed in the previous iteration (the barrier at its end freed it)
        const int next = kb + STAGES - 1;
        if (next < k_blocks) loader.load(smem_base + (next % STAGES) * STAGE_BYTES, next, in);
        cp_async_commit();
        asm volatile("cp.async.wait_group %0;" :: "n"(STAGES - 1) : "memory");   // K block kb has landed
        __syncthreads();

        const u8* sa = smem + (kb % STAGES) * STAGE_BYTES;
        const u8* sw = sa + BM * TC_ROW_BYTES;
        float part[MT][NT][4];
        tc_zero(part);
        #pragma unroll
        for (int h = 0; h < 2; h++)
        {
            // every row this lane reads has the parity of g: one swizzled chunk offset for all of them
            const int chunk = ((t + 4 * h) ^ ((g & 1) << 2)) << 4;
            uint4 av[MT][2], wv[NT];
            #pragma unroll
            for (int mt = 0; mt < MT; mt++)
                #pragma unroll
                for (int rr = 0; rr < 2; rr++)
                    av[mt][rr] = *(const uint4*)(sa + (wm * MT * 16 + mt * 16 + g + 8 * rr) * TC_ROW_BYTES + chunk);
            #pragma unroll
            for (int nt = 0; nt < NT; nt++)
                wv[nt] = *(const uint4*)(sw + (wn * NT * 8 + nt * 8 + g) * TC_ROW_BYTES + chunk);
#if __CUDA_ARCH__ >= 890
            // FP8 tensor cores, m16n8k32 straight from the codes (A rows g, g + 8; W column g)
            tc_mma_chunk(part, av, wv);
#else
            #pragma unroll
            for (int j = 0; j < 4; j++)
            {
                u32 fa[MT][4], fb[NT][2];
                #pragma unroll
                for (int mt = 0; mt < MT; mt++)
                {
                    u32 lo = tc_word(av[mt][0], j), hi = tc_word(av[mt][1], j);   // rows g and g + 8
                    fa[mt][0] = tc_f16x2(lo);
                    fa[mt][1] = tc_f16x2(hi);
                    fa[mt][2] = tc_f16x2(lo >> 16);
                    fa[mt][3] = tc_f16x2(hi >> 16);
                }
                #pragma unroll
                for (int nt = 0; nt < NT; nt++)
                {
                    u32 v = tc_word(wv[nt], j);
                    fb[nt][0] = tc_f16x2(v);
                    fb[nt][1] = tc_f16x2(v >> 16);
                }
                #pragma unroll
                for (int mt = 0; mt < MT; mt++)
                    #pragma unroll
                    for (int nt = 0; nt < NT; nt++)
                        tc_mma(part[mt][nt], fa[mt][0], fa[mt][1], fa[mt][2], fa[mt][3], fb[nt][0], fb[nt][1]);
            }
#endif
        }

        // acc = acc + partial * (a_scale * w_scale): c0,c1 are row g, c2,c3 row g + 8
        const float w_scale = w_scale_row[kb];
        #pragma unroll
        for (int mt = 0; mt < MT; mt++)
            #pragma unroll
            for (int hr = 0; hr < 2; hr++)
            {
                float scale = (a_scale_rows[mt][hr] ? a_scale_rows[mt][hr][kb] : 0.0f) * w_scale;
                #pragma unroll
                for (int nt = 0; nt < NT; nt++)
                {
                    acc[mt][nt][2 * hr] = acc[mt][nt][2 * hr] + part[mt][nt][2 * hr] * scale;
                    acc[mt][nt][2 * hr + 1] = acc[mt][nt][2 * hr + 1] + part[mt][nt][2 * hr + 1] * scale;
                }
            }
        __syncthreads();   // the next iteration's cp.async overwrites the oldest slot
    }

    #pragma unroll
    for (int mt = 0; mt < MT; mt++)
        #pragma unroll
        for (int hr = 0; hr < 2; hr++)
        {
            int m = m0 + wm * MT * 16 + mt * 16 + g + 8 * hr;
            if (m >= m_end) continue;
            #pragma unroll
            for (int nt = 0; nt < NT; nt++)
                #pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    int n = n0 + wn * NT * 8 + nt * 8 + 2 * t + e;
                    if (n < out) tc_store<BF16_OUT>(y, (i64)m * y_stride + y_col0 + n, acc[mt][nt][2 * hr + e]);
                }
        }
}

// a: codes [rows, in] (in % 16 == 0; a, w 16-byte aligned); a_scales [rows, k_blocks]; w: codes [out, in];
// w_scales [ceil(out/128), k_blocks]; y [rows, out] with row stride y_stride. grid = (ceil(out/128), ceil(rows/64)),
// block = 256 threads.
extern "C" __global__ void __launch_bounds__(256) fp8_gemm_tc(const u8* a, const float* a_scales, const u8* w,
    const float* w_scales, float* y, int rows, int out, int in, int y_stride)
{
    __shared__ __align__(128) u8 smem[2 * (TC_M + TC_N) * TC_ROW_BYTES];   // 2 stages of A [64][128] + W [128][128]
    fp8_gemm_tc_tile<2, 2, 4, 2, false>(smem, a, a_scales, nullptr, blockIdx.y * TC_M, rows, w, w_scales, blockIdx.x * TC_N,
        out, in, y, 0, y_stride);
}

// ---- grouped: many small GEMMs in one launch (MoE experts) --------------------------------------------------------
// Each block computes one (row tile, output tile) of one expert. tiles[i] = (expert, first row, row end) for
// i < *tile_count, written on the device by moe_plan (moe_grouped.cu); blocks past the count leave at once, so the grid
// is sized by a host bound and nothing is read back. Every expert has up to two weight matrices side by side in y:
// output tiles below tiles0 belong to matrix mat0 (y columns 0 .. n_split), the rest to mat1 (columns n_split ..);
// experts is a table of 6 addresses per expert (gate, gate scales, up, up scales, down, down scales) and matrix m
// sits at 2m, 2m + 1. A row r of the tile reads codes a[a_rows[r]] (the token it came from) when a_rows is set, else
// a[r]. y: bf16 [rows, y_stride]. Dynamic shared memory: STAGES * (BM + BN) * 128 bytes.
template <int WM, int MT, int NT, int STAGES>
__device__ __forceinline__ void fp8_gemm_grouped(const u8* a, const float* a_scales, const int* a_rows, const int4* tiles,
    const int* tile_count, const u64* experts, int mat0, int mat1, int n_split, int y_stride, int in, u16* y)
{
    extern __shared__ __align__(128) u8 grouped_smem[];
    constexpr int BN = (8 / WM) * NT * 8;
    GroupedTile g;
    if (!grouped_tile(tiles, tile_count, experts, mat0, mat1, n_split, y_stride, BN, g)) return;
    fp8_gemm_tc_tile<WM, MT, NT, STAGES, true>(grouped_smem, a, a_scales, a_rows, g.m0, g.m_end, g.w, g.w_scales, g.n0, g.out,
        in, y, g.y_col0, y_stride);
}

// Decode-sized groups (a few rows per expert): 16-row x 128-output tiles, 4 K blocks in flight (72 KiB).
extern "C" __global__ void __launch_bounds__(256) fp8_gemm_grouped_m16(const u8* a, const float* a_scales, const int* a_rows,
    const int4* tiles, const int* tile_count, const u64* experts, int mat0, int mat1, int n_split, int y_stride, int in, u16* y)
{
    fp8_gemm_grouped<1, 1, 2, 4>(a, a_scales, a_rows, tiles, tile_count, experts, mat0, mat1, n_split, y_stride, in, y);
}

// Prefill-sized groups: 64-row x 128-output tiles, 3 K blocks in flight (72 KiB). (Capping registers for two blocks
// per SM measured the same on the H200: occupancy does not bound it.)
extern "C" __global__ void __launch_bounds__(256) fp8_gemm_grouped_m64(const u8* a, const float* a_scales, const int* a_rows,
    const int4* tiles, const int* tile_count, const u64* experts, int mat0, int mat1, int n_split, int y_stride, int in, u16* y)
{
    fp8_gemm_grouped<2, 2, 4, 3>(a, a_scales, a_rows, tiles, tile_count, experts, mat0, mat1, n_split, y_stride, in, y);
}
