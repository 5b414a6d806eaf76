// fp8_gemm_wg.cu - y = a * W^T for FP8 e4m3 activations and weights with 128-wide block scales on Hopper's warpgroup
// tensor cores (sm_90a), with fp8_gemm.cu's semantics: per 128-wide K block a fresh fp32 partial sums the block's
// exact products, then acc = acc + partial * (a_scale * w_scale), K blocks ascending, separate multiply and add (the
// reference's promotion).
//
// Why f16: every e4m3 value is exact in f16 and every product of two is exact in fp32, and wgmma.f32.f16.f16 sums them
// at fp32 precision (the indexer lab: ~2e-7 against float64). Hopper's FP8 wgmma sums each 32-product k-step coarsely
// and misses the op tests' 1e-4 bar (BENCHMARKS.md round 6), so the codes are widened, at half the FP8 tensor rate.
//
// The activations are widened once per call (fp8_widen_codes: f16 codes, rows of k_blocks * 128) and cp.async streams
// them into shared memory as they are; W, the A operand of the k-steps, is widened in registers by each warpgroup, the
// only conversion in the GEMM. Block tile: 128 outputs x TM tokens (TM = 128 dense; 64 or 128 grouped), two
// warpgroups; warpgroup i takes outputs 64i.. against all TM tokens on m64nTMk16, 8 k-steps per K block into the fresh
// partial. Accumulator rows are outputs and columns tokens, so the promotion's a_scale is per column, read from the
// stage's copy of the tile's scales. A ring of WG_STAGES K blocks is filled by every thread's cp.async and handed over on
// mbarriers (full / empty per stage), so the two warpgroups run out of step. (Earlier forms, in git history and
// BENCHMARKS.md round 9: widening W into shared memory in every block, 9-16 % slower dense and ~1.5x on expert groups;
// a producer warpgroup with setmaxnreg, which spilled at the 168 registers ptxas allows 384 threads; block barriers per
// K block, 13 % slower.)
//
// K order inside a K block is free (the partial is per block), so each thread reads 32 contiguous bytes of its W rows:
// thread t of a quad feeds word s of bytes 32t..32t+31 to k-step s (slots 2t, 2t+1 <- bytes 32t+4s, +1; slots 2t+8,
// 2t+9 <- 32t+4s+2, +3: the m64k16 A fragment, a0/a2 row g, a1/a3 row g+8), and the activations are widened into that
// logical order: logical k = 16s + 8h + 2t + e <- byte 32t + 4s + 2h + e (the indexer's warpgroup kernels use the same).

#define WG_N 128      // outputs per block: one w_scales row
#ifndef WG_STAGES
#define WG_STAGES 4   // K blocks in flight (Fp8GemmLauncher.WarpgroupStages; the kernel lab can try others)
#endif
static_assert(WG_STAGES >= 2, "the ring must hold the block being multiplied and one being loaded");
// stage (1 KiB aligned for the swizzle atoms): activations f16 [2 K-halves][TM][128 B] | W e4m3 [128][128] | a_scales [TM]
#define WG_STAGE_BYTES(TM) (((TM) * 256 + WG_N * 128 + (TM) * 4 + 1023) / 1024 * 1024)
#define WG_SHARED(TM) (1024 + WG_STAGES * (WG_STAGE_BYTES(TM) + 16))   // + two mbarriers per stage
extern __shared__ u8 wg_smem[];   // dynamic, WG_SHARED(TM) bytes

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// A fragments of k-steps 4 half .. 4 half + 3 from this thread's W rows r and r + 8 of the stage (r % 8 == g % 8)
__device__ __forceinline__ void wg_widen_w(u32 (&a)[8][4], const u8* stage_w, int r, int t, int half)
{
    const int chunk = ((2 * t + half) ^ (r & 7)) << 4;
    const uint4 x0 = *reinterpret_cast<const uint4*>(stage_w + r * 128 + chunk);
    const uint4 x1 = *reinterpret_cast<const uint4*>(stage_w + (r + 8) * 128 + chunk);
    const u32 w0[4] = {x0.x, x0.y, x0.z, x0.w}, w1[4] = {x1.x, x1.y, x1.z, x1.w};
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        f16x2x2_from_e4m3x4(w0[i], a[4 * half + i][0], a[4 * half + i][2]);
        f16x2x2_from_e4m3x4(w1[i], a[4 * half + i][1], a[4 * half + i][3]);
    }
}

// The cp.async copies of one K block, by all 256 threads. Activations: chunk cc = tid % 16 (K-half cc / 8, 16-byte
// chunk cc % 8 swizzled by token % 8) of tokens tid / 16 + 16i. W: chunk c = tid % 8 of rows tid / 8 + 32i. Threads
// 0 .. TM-1: one a_scale each. Tokens past the tile are zero-filled (scale 0 too); W chunks past in likewise (the
// widened activations are zero there already).
template <int TM>
struct WgLoader
{
    static constexpr int A_ITERS = TM / 16, W_ITERS = WG_N / 32;
    const u8* a_src[A_ITERS];   // token row + 16cc, null past the tile
    const u8* w_src[W_ITERS];   // W row + 16c, null past out
    const float* s_src;         // this thread's a_scales row (tid < TM), null otherwise
    const u8* any_row;          // a valid address for zero-byte copies

    __device__ __forceinline__ void init(const u16* a16, const float* a_scales, const int* a_rows, const u8* w, int m0,
        int m_end, int n0, int out, int in, int k_blocks)
    {
        any_row = w;
        const int tid = threadIdx.x;
#pragma unroll
        for (int i = 0; i < A_ITERS; i++)
        {
            const int m = m0 + (tid >> 4) + 16 * i;
            a_src[i] = m < m_end ? (const u8*)(a16 + (i64)(a_rows ? a_rows[m] : m) * k_blocks * 128) + 16 * (tid & 15) : nullptr;
        }
#pragma unroll
        for (int i = 0; i < W_ITERS; i++)
        {
            const int n = n0 + (tid >> 3) + 32 * i;
            w_src[i] = n < out ? w + (i64)n * in + 16 * (tid & 7) : nullptr;
        }
        const int m = m0 + tid;
        s_src = tid < TM && m < m_end ? a_scales + (i64)(a_rows ? a_rows[m] : m) * k_blocks : nullptr;
    }

    __device__ __forceinline__ void load(u32 stage, int kb, int in) const
    {
        const int tid = threadIdx.x;
        {
            const int token = tid >> 4, cc = tid & 15;
            // tokens token + 16i share token % 8: one swizzled chunk for every copy
            const u32 dst0 = stage + (u32)((cc >> 3) * (TM * 128) + token * 128 + (((cc & 7) ^ (token & 7)) << 4));
#pragma unroll
            for (int i = 0; i < A_ITERS; i++)
                cp_async16(dst0 + i * 16 * 128, a_src[i] ? a_src[i] + kb * 256 : any_row, a_src[i] ? 16 : 0);
        }
        {
            const int row = tid >> 3, c = tid & 7;
            const bool k_ok = kb * 128 + 16 * c < in;
            const u32 dst0 = stage + TM * 256 + (u32)(row * 128 + ((c ^ (row & 7)) << 4));
#pragma unroll
            for (int i = 0; i < W_ITERS; i++)
            {
                const bool ok = k_ok && w_src[i] != nullptr;
                cp_async16(dst0 + i * 32 * 128, ok ? w_src[i] + kb * 128 : any_row, ok ? 16 : 0);
            }
        }
        if (tid < TM) cp_async4(stage + TM * 256 + WG_N * 128 + 4 * tid, s_src ? (const void*)(s_src + kb) : (const void*)any_row, s_src ? 4 : 0);
    }
};

// One output tile: outputs n0 .. n0 + 128 (below out) x tokens m0 .. min(m0 + TM, m_end), every K block. Token m's
// activations are a16 row a_rows[m] (when set, else m), as are its a_scales; y row m at y + m * y_stride, columns from
// y_col0 (bf16 bits when BF16_OUT, else fp32).
template <int TM, bool BF16_OUT>
__device__ __forceinline__ void fp8_gemm_wg_tile(u8* smem_raw, const u16* a16, const float* a_scales, const int* a_rows,
    int m0, int m_end, const u8* w, const float* w_scales, int n0, int out, int in, void* y, int y_col0, int y_stride)
{
    constexpr int R = TM / 2;   // fp32 registers per thread of one m64 x TM fragment
    u8* smem = (u8*)(((unsigned long long)smem_raw + 1023) & ~1023ull);   // 128-byte swizzle atoms: 1 KiB aligned
    const u32 ring = smem_addr(smem);
    const int tid = threadIdx.x, wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int r0 = 64 * wg + 16 * warp + g;   // this thread's W rows (outputs) r0, r0 + 8 of the tile
    const int k_blocks = (in + 127) >> 7;
    const float* w_scale_row = w_scales + (i64)(n0 >> 7) * k_blocks;

    WgLoader<TM> loader;
    loader.init(a16, a_scales, a_rows, w, m0, m_end, n0, out, in, k_blocks);
    // full[s]: every thread's copies of the stage landed (256 cp.async arrivals); empty[s]: all 8 warps are done with it.
    // The warpgroups wait on these instead of block barriers, so one can promote while the other's k-steps run (the lab:
    // 13 % faster than a block barrier per K block).
    const u32 full = ring + WG_STAGES * WG_STAGE_BYTES(TM), empty = full + 8 * WG_STAGES;
    if (tid == 0)
    {
        mbar_init_ring<256>(full, WG_STAGES);
        mbar_init_ring<8>(empty, WG_STAGES);
        mbar_init_fence();
    }
    __syncthreads();
#pragma unroll
    for (int s = 0; s < WG_STAGES - 1; s++)
        if (s < k_blocks)
        {
            loader.load(ring + s * WG_STAGE_BYTES(TM), s, in);
            asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(full + 8 * s) : "memory");
        }
    float acc[R], part[R];
#pragma unroll
    for (int j = 0; j < R; j++) acc[j] = 0.0f;
    u32 af[8][4];
    for (int kb = 0; kb < k_blocks; kb++)
    {
        const int st = kb % WG_STAGES;
        const u8* stage = smem + st * WG_STAGE_BYTES(TM);
        const u32 at = ring + st * WG_STAGE_BYTES(TM);
        const float sw = w_scale_row[kb];
        mbar_wait(full + 8 * st, (kb / WG_STAGES) & 1);
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // cp.async writes -> visible to wgmma
        wg_widen_w(af, stage + TM * 256, r0, t, 0);
        wg_widen_w(af, stage + TM * 256, r0, t, 1);
        wgmma_fence();
#pragma unroll
        for (int s = 0; s < 8; s++) wgmma_f16(part, af[s], wgmma_desc_sw128(at + (s >> 2) * (TM * 128) + (s & 3) * 32), s);
        wgmma_commit();
        const int next = kb + WG_STAGES - 1;   // into the slot of K block kb - 1, once all 8 warps are done with it
        if (next < k_blocks)
        {
            if (kb >= 1) mbar_wait(empty + 8 * ((kb - 1) % WG_STAGES), ((kb - 1) / WG_STAGES) & 1);
            loader.load(ring + (next % WG_STAGES) * WG_STAGE_BYTES(TM), next, in);
            asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(full + 8 * (next % WG_STAGES)) : "memory");
        }
        wgmma_wait<0>();
        const float* sa = reinterpret_cast<const float*>(stage + TM * 256 + WG_N * 128);
#pragma unroll
        for (int i = 0; i < R / 4; i++)
        {
            const float2 a2 = *reinterpret_cast<const float2*>(sa + 8 * i + 2 * t);
            const float c0 = a2.x * sw, c1 = a2.y * sw;   // --fmad=false: a product and a sum, each rounded
            acc[4 * i] = acc[4 * i] + part[4 * i] * c0;
            acc[4 * i + 1] = acc[4 * i + 1] + part[4 * i + 1] * c1;
            acc[4 * i + 2] = acc[4 * i + 2] + part[4 * i + 2] * c0;
            acc[4 * i + 3] = acc[4 * i + 3] + part[4 * i + 3] * c1;
        }
        __syncwarp();
        if (lane == 0) mbar_arrive(empty + 8 * st);
    }

    // y[token][output]: a warp's store covers 4 tokens x 8 consecutive outputs (32-byte pieces)
#pragma unroll
    for (int i = 0; i < R / 4; i++)
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            const int m = m0 + 8 * i + 2 * t + e;
            if (m >= m_end) continue;
#pragma unroll
            for (int h = 0; h < 2; h++)
            {
                const int n = n0 + r0 + 8 * h;
                if (n >= out) continue;
                const i64 at = (i64)m * y_stride + y_col0 + n;
                const float v = acc[4 * i + 2 * h + e];
                if (BF16_OUT) ((u16*)y)[at] = bf16_bits(v);
                else ((float*)y)[at] = v;
            }
        }
}
#endif

// e4m3 codes [rows, in] (in % 4 == 0, 4-byte aligned) -> f16 codes a16 [rows, k_blocks * 128] in the logical K order of
// the warpgroup kernels (per 128-wide K block: logical k = 16s + 8h + 2t + e holds code 32t + 4s + 2h + e), zero past
// in. One thread per 16 logical values (one k-step s of one K block of one row); grid-strided.
extern "C" __global__ void __launch_bounds__(256) fp8_widen_codes(const u8* codes, int rows, int in, u16* a16)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    const int k_blocks = (in + 127) >> 7;
    const i64 units = (i64)rows * k_blocks * 8;
    for (i64 u = (i64)blockIdx.x * blockDim.x + threadIdx.x; u < units; u += (i64)gridDim.x * blockDim.x)
    {
        const int s = (int)(u & 7), kb = (int)((u >> 3) % k_blocks);
        const i64 row = (u >> 3) / k_blocks;
        const u8* src = codes + row * in + kb * 128 + 4 * s;
        uint4 lo, hi;
        u32* l = reinterpret_cast<u32*>(&lo);
        u32* h = reinterpret_cast<u32*>(&hi);
#pragma unroll
        for (int t = 0; t < 4; t++)
        {
            const u32 word = kb * 128 + 32 * t + 4 * s < in ? *reinterpret_cast<const u32*>(src + 32 * t) : 0u;
            f16x2x2_from_e4m3x4(word, l[t], h[t]);
        }
        uint4* dst = reinterpret_cast<uint4*>(a16 + (row * k_blocks + kb) * 128 + 16 * s);
        dst[0] = lo;
        dst[1] = hi;
    }
#endif
}

// a16: fp8_widen_codes of the codes [rows, in] (in % 16 == 0; w 16-byte aligned); a_scales [rows, k_blocks]; w: codes
// [out, in]; w_scales [ceil(out/128), k_blocks]; y fp32 [rows, out] with row stride y_stride. grid = (ceil(out/128),
// ceil(rows/128)), block = 256, dynamic shared WG_SHARED(128).
extern "C" __global__ void __launch_bounds__(256, 1) fp8_gemm_wg(const u16* a16, const float* a_scales, const u8* w,
    const float* w_scales, float* y, int rows, int out, int in, int y_stride)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    fp8_gemm_wg_tile<128, false>(wg_smem, a16, a_scales, nullptr, blockIdx.y * 128, rows, w, w_scales, blockIdx.x * WG_N,
        out, in, y, 0, y_stride);
#endif
}

// Grouped (MoE experts), prefill-sized: fp8_gemm_grouped_m64's contract (tiles from moe_plan, the experts' address
// table, two matrices side by side in bf16 y) with a16 (fp8_widen_codes of its codes) in place of the codes, tiles of TM
// rows: fp8_gemm_grouped_wg (64, dynamic shared WG_SHARED(64)) and fp8_gemm_grouped_wg128 (128, WG_SHARED(128)).
template <int TM>
__device__ __forceinline__ void fp8_gemm_grouped_wg_body(const u16* a16, const float* a_scales, const int* a_rows,
    const int4* tiles, const int* tile_count, const u64* experts, int mat0, int mat1, int n_split, int y_stride, int in, u16* y)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    GroupedTile g;
    if (!grouped_tile(tiles, tile_count, experts, mat0, mat1, n_split, y_stride, WG_N, g)) return;
    fp8_gemm_wg_tile<TM, true>(wg_smem, a16, a_scales, a_rows, g.m0, g.m_end, g.w, g.w_scales, g.n0, g.out, in, y, g.y_col0,
        y_stride);
#endif
}

#define WG_GROUPED_ARGS const u16* a16, const float* a_scales, const int* a_rows, const int4* tiles, const int* tile_count, \
    const u64* experts, int mat0, int mat1, int n_split, int y_stride, int in, u16* y
extern "C" __global__ void __launch_bounds__(256, 1) fp8_gemm_grouped_wg(WG_GROUPED_ARGS)
{
    fp8_gemm_grouped_wg_body<64>(a16, a_scales, a_rows, tiles, tile_count, experts, mat0, mat1, n_split, y_stride, in, y);
}

extern "C" __global__ void __launch_bounds__(256, 1) fp8_gemm_grouped_wg128(WG_GROUPED_ARGS)
{
    fp8_gemm_grouped_wg_body<128>(a16, a_scales, a_rows, tiles, tile_count, experts, mat0, mat1, n_split, y_stride, in, y);
}
