// fp8_gemm_wh.cu - y = a * W^T for FP8 e4m3 activations and weights with 128-wide block scales on Hopper's warpgroup
// tensor cores (sm_90a), with fp8_gemm.cu's semantics: per 128-wide K block a fresh fp32 partial sums the block's
// exact products, then acc += partial * (a_scale * w_scale), K blocks ascending (the reference's promotion; one fma).
//
// Why f16: every e4m3 value is exact in f16 and every product of two is exact in fp32, and wgmma.f32.f16.f16 sums them
// at fp32 precision (the indexer lab: ~2e-7 against float64). Hopper's FP8 wgmma sums each 32-product k-step coarsely
// and misses the op tests' 1e-4 bar (BENCHMARKS.md round 6), so the codes are widened, at half the FP8 tensor rate.
//
// Block tile: 128 outputs x BM rows, two warpgroups. BM = 128: warpgroup i takes rows 64i.. on m64n128k16; BM = 64:
// both take the 64 rows, warpgroup i outputs 64i.. on m64n64k16. Per K block, 8 k-steps into the fresh partial.
// - e4m3 ring (STAGES K blocks in flight, cp.async by all threads): A [BM][128] then W [128][128]; 16-byte chunk c of
//   ring row r sits at chunk c ^ (r & 7).
// - W is widened once per K block into an f16 B tile (two buffers, [2 K-halves][128 outputs][128 B], 128-byte
//   swizzle) by all 256 threads while the tensor cores run the previous block; each warpgroup widens its A rows in
//   registers, the first half of the next block's under the current block's last four k-steps.
// K order inside a K block is free (the partial is per block), so each thread reads 32 contiguous bytes of its A rows:
// thread t of a quad feeds word s of bytes 32t..32t+31 to k-step s (slots 2t, 2t+1 <- bytes 32t+4s, +1; slots 2t+8,
// 2t+9 <- 32t+4s+2, +3: the m64k16 A fragment, a0/a2 row g, a1/a3 row g+8), and the B tile holds W in that logical
// order: logical k = 16s + 8h + 2t + e <- byte 32t + 4s + 2h + e (the indexer's warpgroup kernels use the same).

#define WH_N 128                 // outputs per block: one w_scales row
#define WH_STAGES 4              // e4m3 K blocks in flight
#define WH_B16_BYTES (2 * WH_N * 128)   // one f16 B tile: 2 K-halves x 128 outputs x 128 bytes
#define WH_RING_BYTES(BM) (((BM) + WH_N) * 128)
// 1 KiB alignment slack | ring [STAGES][(BM + 128) rows][128 B] | B tiles [2][32 KiB]
#define WH_SHARED(BM) (1024 + WH_STAGES * WH_RING_BYTES(BM) + 2 * WH_B16_BYTES)

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// The cp.async copies of one K block (A [BM][128] then W [128][128] codes), 16 bytes each, fixed per thread: chunk
// c = tid % 8 of ring rows tid / 8 + 32i. Rows past the tile and chunks past in are zero-filled.
template <int BM>
struct WhLoader
{
    static constexpr int ITERS = (BM + WH_N) / 32;
    const u8* src[ITERS];   // row start + 16c, null for rows past the tile
    const u8* any_row;      // a valid address for zero-byte copies

    __device__ __forceinline__ void init(const u8* a, const int* a_rows, const u8* w, int m0, int m_end, int n0, int out, int in)
    {
        any_row = w;
        const int c = threadIdx.x & 7;
#pragma unroll
        for (int i = 0; i < ITERS; i++)
        {
            const int row = (threadIdx.x >> 3) + 32 * i;
            const bool is_a = row < BM;
            const int g = is_a ? m0 + row : n0 + row - BM;
            const bool ok = g < (is_a ? m_end : out);
            src[i] = ok ? (is_a ? a + (i64)(a_rows ? a_rows[g] : g) * in : w + (i64)g * in) + 16 * c : nullptr;
        }
    }

    __device__ __forceinline__ void load(u32 base, int kb, int in) const
    {
        const int c = threadIdx.x & 7, row0 = threadIdx.x >> 3;
        const int k = kb * 128;
        const bool k_ok = k + 16 * c < in;
        // rows row0 + 32i share row0 % 8: one swizzled chunk for every copy
        const u32 dst0 = base + (u32)(row0 * 128 + ((c ^ (row0 & 7)) << 4));
#pragma unroll
        for (int i = 0; i < ITERS; i++)
        {
            const bool ok = k_ok && src[i] != nullptr;
            cp_async16(dst0 + i * 32 * 128, ok ? src[i] + k : any_row, ok ? 16 : 0);
        }
    }
};

// W [128][128] e4m3 (ring layout) -> the f16 B tile in logical K order. Thread tid widens k-steps s and s + 4
// (s = tid % 4) of outputs tid / 4 and tid / 4 + 64: per (output, step), bytes 32t + 4s .. +3 for t = 0..3 give the
// f16 pairs of logical slots 2t (chunk 2(s%4) of K-half s/4) and 2t + 8 (the next chunk).
__device__ __forceinline__ void wh_widen_w(const u8* ring_w, u8* b16)
{
    const int s_lo = threadIdx.x & 3;
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        const int n = (threadIdx.x >> 2) + 64 * (i >> 1), half = i & 1;   // k-step s_lo + 4 half
        const u8* row = ring_w + n * 128;
        uint4 lo, hi;
        u32* l = reinterpret_cast<u32*>(&lo);
        u32* h = reinterpret_cast<u32*>(&hi);
#pragma unroll
        for (int t = 0; t < 4; t++)
        {
            const u32 word = *reinterpret_cast<const u32*>(row + (((2 * t + half) ^ (n & 7)) << 4) + 4 * s_lo);
            f16x2x2_from_e4m3x4(word, l[t], h[t]);
        }
        u8* dst = b16 + half * (WH_N * 128) + n * 128;
        *reinterpret_cast<uint4*>(dst + (((2 * s_lo) ^ (n & 7)) << 4)) = lo;
        *reinterpret_cast<uint4*>(dst + (((2 * s_lo + 1) ^ (n & 7)) << 4)) = hi;
    }
}

// A fragments of k-steps 4 half .. 4 half + 3 from this thread's ring rows r and r + 8 (r % 8 == g % 8)
__device__ __forceinline__ void wh_widen_a(u32 (&a)[8][4], const u8* ring_a, int r, int t, int half)
{
    const int chunk = ((2 * t + half) ^ (r & 7)) << 4;
    const uint4 x0 = *reinterpret_cast<const uint4*>(ring_a + r * 128 + chunk);
    const uint4 x1 = *reinterpret_cast<const uint4*>(ring_a + (r + 8) * 128 + chunk);
    const u32 w0[4] = {x0.x, x0.y, x0.z, x0.w}, w1[4] = {x1.x, x1.y, x1.z, x1.w};
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        f16x2x2_from_e4m3x4(w0[i], a[4 * half + i][0], a[4 * half + i][2]);
        f16x2x2_from_e4m3x4(w1[i], a[4 * half + i][1], a[4 * half + i][3]);
    }
}

// One output tile: rows m0 .. min(m0 + BM, m_end) x outputs n0 .. n0 + 128 (below out), every K block. a_scales row of
// A row m: a_rows[m] when a_rows is set, else m; y row m at y + m * y_stride, columns from y_col0 (bf16 bits when
// BF16_OUT, else fp32).
template <int BM, bool BF16_OUT>
__device__ __forceinline__ void fp8_gemm_wh_tile(u8* smem_raw, const u8* a, const float* a_scales, const int* a_rows,
    int m0, int m_end, const u8* w, const float* w_scales, int n0, int out, int in, void* y, int y_col0, int y_stride)
{
    constexpr int NW = BM == 128 ? 128 : 64;   // outputs per warpgroup
    constexpr int R = NW / 2;                  // fp32 registers per thread of one m64 x NW fragment
    u8* smem = (u8*)(((unsigned long long)smem_raw + 1023) & ~1023ull);   // 128-byte swizzle atoms: 1 KiB aligned
    u8* b16 = smem + WH_STAGES * WH_RING_BYTES(BM);
    const u32 b16_addr = smem_addr(b16);
    const int tid = threadIdx.x, wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int row_base = BM == 128 ? 64 * wg : 0;        // this warpgroup's first tile row
    const int col_base = BM == 128 ? 0 : 64 * wg;        // and first output
    const int r0 = row_base + 16 * warp + g;             // this thread's tile rows r0, r0 + 8
    const int k_blocks = (in + 127) >> 7;
    const float* w_scale_row = w_scales + (i64)(n0 >> 7) * k_blocks;
    const float* a_scale_row[2];
#pragma unroll
    for (int h = 0; h < 2; h++)
    {
        const int m = m0 + r0 + 8 * h;
        a_scale_row[h] = m < m_end ? a_scales + (i64)(a_rows ? a_rows[m] : m) * k_blocks : nullptr;
    }

    WhLoader<BM> loader;
    loader.init(a, a_rows, w, m0, m_end, n0, out, in);
    const u32 ring = smem_addr(smem);
#pragma unroll
    for (int s = 0; s < WH_STAGES - 1; s++)
    {
        if (s < k_blocks) loader.load(ring + s * WH_RING_BYTES(BM), s, in);
        cp_async_commit();
    }
    asm volatile("cp.async.wait_group %0;" :: "n"(WH_STAGES - 2) : "memory");   // K block 0 has landed
    __syncthreads();
    wh_widen_w(smem + BM * 128, b16);
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // generic writes of B -> visible to wgmma
    __syncthreads();

    float acc[R], part[R];
#pragma unroll
    for (int j = 0; j < R; j++) acc[j] = 0.0f;
    u32 af[8][4];
    wh_widen_a(af, smem, r0, t, 0);
    wh_widen_a(af, smem, r0, t, 1);

    for (int kb = 0; kb < k_blocks; kb++)
    {
        const float sw = w_scale_row[kb];
        const float sa0 = a_scale_row[0] ? a_scale_row[0][kb] : 0.0f, sa1 = a_scale_row[1] ? a_scale_row[1][kb] : 0.0f;
        const u32 bt = b16_addr + (kb & 1) * WH_B16_BYTES + col_base * 128;
        // two commit groups, so the first half of the next K block's A fragments is widened under the second
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 4; s++) wgmma_f16(part, af[s], wgmma_desc_sw128(bt + s * 32), s);
        wgmma_commit();
#pragma unroll
        for (int s = 4; s < 8; s++) wgmma_f16(part, af[s], wgmma_desc_sw128(bt + WH_N * 128 + (s - 4) * 32), 1);
        wgmma_commit();

        // refill the slot of K block kb - 1 (everyone finished with it before the last barrier)
        const int next = kb + WH_STAGES - 1;
        if (next < k_blocks) loader.load(ring + (next % WH_STAGES) * WH_RING_BYTES(BM), next, in);
        cp_async_commit();
        const bool more = kb + 1 < k_blocks;
        const u8* next_stage = smem + ((kb + 1) % WH_STAGES) * WH_RING_BYTES(BM);
        if (more)
        {
            asm volatile("cp.async.wait_group %0;" :: "n"(WH_STAGES - 2) : "memory");   // K block kb + 1 has landed
            __syncthreads();
            // B buffer (kb + 1) & 1 was last read by K block kb - 1's k-steps, which both warpgroups waited for
            wh_widen_w(next_stage + BM * 128, b16 + ((kb + 1) & 1) * WH_B16_BYTES);
            asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        }
        wgmma_wait<1>();
        if (more) wh_widen_a(af, next_stage, r0, t, 0);
        wgmma_wait<0>();
        // acc += partial * (a_scale * w_scale): registers 4i, 4i + 1 are row r0, 4i + 2, 4i + 3 row r0 + 8
        const float s0 = sa0 * sw, s1 = sa1 * sw;
#pragma unroll
        for (int i = 0; i < R / 4; i++)
        {
            acc[4 * i] = __fmaf_rn(part[4 * i], s0, acc[4 * i]);
            acc[4 * i + 1] = __fmaf_rn(part[4 * i + 1], s0, acc[4 * i + 1]);
            acc[4 * i + 2] = __fmaf_rn(part[4 * i + 2], s1, acc[4 * i + 2]);
            acc[4 * i + 3] = __fmaf_rn(part[4 * i + 3], s1, acc[4 * i + 3]);
        }
        if (more) wh_widen_a(af, next_stage, r0, t, 1);
        __syncthreads();   // B tile kb + 1 is complete; ring slot kb is free
    }

#pragma unroll
    for (int h = 0; h < 2; h++)
    {
        const int m = m0 + r0 + 8 * h;
        if (m >= m_end) continue;
#pragma unroll
        for (int i = 0; i < R / 4; i++)
        {
            const int n = n0 + col_base + 8 * i + 2 * t;
            const float v0 = acc[4 * i + 2 * h], v1 = acc[4 * i + 2 * h + 1];
            const i64 at = (i64)m * y_stride + y_col0 + n;
            if (BF16_OUT)
            {
                if (n + 1 < out && (at & 1) == 0) *reinterpret_cast<u32*>((u16*)y + at) = pack_bf16x2(v0, v1);
                else
                {
                    if (n < out) ((u16*)y)[at] = bf16_bits(v0);
                    if (n + 1 < out) ((u16*)y)[at + 1] = bf16_bits(v1);
                }
            }
            else if (n + 1 < out && (at & 1) == 0) *reinterpret_cast<float2*>((float*)y + at) = make_float2(v0, v1);
            else
            {
                if (n < out) ((float*)y)[at] = v0;
                if (n + 1 < out) ((float*)y)[at + 1] = v1;
            }
        }
    }
}
#endif

// a: codes [rows, in] (in % 16 == 0; a, w 16-byte aligned); a_scales [rows, k_blocks]; w: codes [out, in];
// w_scales [ceil(out/128), k_blocks]; y fp32 [rows, out] with row stride y_stride. grid = (ceil(out/128),
// ceil(rows/128)), block = 256, dynamic shared WH_SHARED(128).
extern "C" __global__ void __launch_bounds__(256, 1) fp8_gemm_wh(const u8* a, const float* a_scales, const u8* w,
    const float* w_scales, float* y, int rows, int out, int in, int y_stride)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ u8 wh_smem[];
    fp8_gemm_wh_tile<128, false>(wh_smem, a, a_scales, nullptr, blockIdx.y * 128, rows, w, w_scales, blockIdx.x * WH_N,
        out, in, y, 0, y_stride);
#endif
}

// Grouped (MoE experts), prefill-sized: fp8_gemm.cu's fp8_gemm_grouped_m64 contract (tiles of 64 rows from moe_plan,
// experts' address table, two matrices side by side in bf16 y), dynamic shared WH_SHARED(64).
extern "C" __global__ void __launch_bounds__(256, 1) fp8_gemm_grouped_wh(const u8* a, const float* a_scales, const int* a_rows,
    const int4* tiles, const int* tile_count, const u64* experts, int mat0, int mat1, int n_split, int y_stride, int in, u16* y)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ u8 wh_smem[];
    if ((int)blockIdx.y >= *tile_count) return;
    const int4 tile = tiles[blockIdx.y];
    const int tiles0 = (n_split + WH_N - 1) / WH_N;
    const bool second = (int)blockIdx.x >= tiles0;
    const int mat = second ? mat1 : mat0;
    const int n0 = ((int)blockIdx.x - (second ? tiles0 : 0)) * WH_N;
    const int out = second ? y_stride - n_split : n_split;
    const u64* e = experts + (i64)tile.x * 6 + 2 * mat;
    fp8_gemm_wh_tile<64, true>(wh_smem, a, a_scales, a_rows, tile.y, tile.z, (const u8*)e[0], (const float*)e[1], n0, out,
        in, y, second ? n_split : 0, y_stride);
#endif
}
