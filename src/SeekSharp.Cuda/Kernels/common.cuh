// common.cuh — pasted in front of every kernel file by KernelSources.Compose (kernels #include nothing: no CUDA
// header is guaranteed to exist where we run). Numerics follow SeekSharp.Core.Numerics bit for bit:
// bf16 = round-to-nearest-even of the fp32 bits (NaN -> 0x7FC0); e4m3fn = RNE with saturation to +-448;
// ue8m0 = a scale rounded up to a power of two. Kernels are compiled with --fmad=false (no implicit FMA).

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

#define SS_INF (__int_as_float(0x7f800000))
#define SS_NEG_INF (__int_as_float(0xff800000))

// ---- bf16 -------------------------------------------------------------------------------------------------------

// The bf16 bits of x, rounded to nearest even (BFloat16Math.FromFloat).
__device__ __forceinline__ u16 bf16_bits(float x)
{
    u32 bits = __float_as_uint(x);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (u16)0x7fc0;
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (u16)(bits >> 16);
}

// x rounded to bf16, held as fp32 (BFloat16Math.Round).
__device__ __forceinline__ float bf16_round(float x) { return __uint_as_float(((u32)bf16_bits(x)) << 16); }

// SwiGLU of one element as the reference rounds it: bf16(silu(g) * u), silu(g) = g / (1 + e^-g) in fp32.
__device__ __forceinline__ float silu_mul_bf16(float g, float u) { return bf16_round(g / (1.0f + expf(-g)) * u); }

__device__ __forceinline__ float bf16_to_float(u16 bits) { return __uint_as_float(((u32)bits) << 16); }

// ---- FP8 e4m3fn --------------------------------------------------------------------------------------------------

// Exact value of an e4m3fn code (Fp8E4M3.ToFloat): 0x7F/0xFF are NaN, no infinities.
__device__ __forceinline__ float e4m3_to_float(u8 code)
{
    u32 sign = ((u32)code & 0x80u) << 24;
    u32 e = ((u32)code >> 3) & 0xfu;
    u32 m = (u32)code & 7u;
    if (e == 0) return __uint_as_float(sign | __float_as_uint((float)m * 0.001953125f));   // m * 2^-9
    if (e == 15 && m == 7) return __uint_as_float(sign | 0x7fc00000u);
    return __uint_as_float(sign | ((e + 120u) << 23) | (m << 20));
}

// Nearest e4m3fn code, ties to even, |x| >= 448 saturating to +-448, NaN -> NaN (Fp8E4M3.FromFloat).
__device__ __forceinline__ u8 float_to_e4m3(float x)
{
#if __CUDA_ARCH__ >= 890
    // sm_89+: the hardware conversion (RNE, satfinite) does exactly this; x goes to the low byte.
    u16 pair;
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(0.0f), "f"(x));
    return (u8)(pair & 0xffu);
#else
    u32 bits = __float_as_uint(x);
    u32 sign = (bits >> 24) & 0x80u;
    u32 magnitude_bits = bits & 0x7fffffffu;
    if (magnitude_bits > 0x7f800000u) return (u8)(sign | 0x7fu);
    float magnitude = __uint_as_float(magnitude_bits);
    if (magnitude >= 448.0f) return (u8)(sign | 0x7eu);
    if (magnitude < 0.015625f) return (u8)(sign | (u32)__float2int_rn(magnitude * 512.0f));   // subnormal steps of 2^-9
    u32 exponent = (magnitude_bits >> 23) - 120u;   // re-bias 127 -> 7
    u32 mantissa = magnitude_bits & 0x7fffffu;
    u32 kept = mantissa >> 20, dropped = mantissa & 0xfffffu;
    u32 round_up = (dropped > 0x80000u || (dropped == 0x80000u && (kept & 1u))) ? 1u : 0u;
    return (u8)(sign | ((exponent << 3) + kept + round_up));
#endif
}

// ---- scales ------------------------------------------------------------------------------------------------------

// Smallest power of two >= s for s >= 0 (Ue8m0.RoundUpToPowerOfTwo): exponent + [mantissa != 0].
__device__ __forceinline__ float ue8m0_round_up(float s)
{
    u32 bits = __float_as_uint(s) & 0x7fffffffu;
    if (bits > 0x7f800000u) return s;
    return __uint_as_float(((bits >> 23) + ((bits & 0x7fffffu) != 0u ? 1u : 0u)) << 23);
}

// The act-quant scale of a block whose |max| is amax (ActQuant.Scale): max(amax, 1e-4) * fp32(1/448).
__device__ __forceinline__ float act_quant_scale(float amax, bool power_of_two)
{
    float s = fmaxf(amax, 1e-4f) * (float)(1.0 / 448.0);
    return power_of_two ? ue8m0_round_up(s) : s;
}

// ---- reductions (fixed shuffle trees: deterministic for a given block size) --------------------------------------

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// The 128-column block of an fp32 row starting at column `start`, held by a warp as the act-quant helpers take it:
// v[j] = row[start + 32j + lane], 0 past column `cols`.
__device__ __forceinline__ void warp_load_block(const float* row, int start, int cols, int lane, float (&v)[4])
{
    for (int j = 0; j < 4; j++)
    {
        const int c = start + j * 32 + lane;
        v[j] = c < cols ? row[c] : 0.0f;
    }
}

// The codes of one 128-column block held by a warp, in registers: q[j] = e4m3(clamp(v[j] / scale, +-448)) for the
// block's scale (act_quant_scale of its |max|, returned to every lane); v[j] is column 32j + lane, 0 past the row's end.
__device__ __forceinline__ float warp_act_quant_codes(const float (&v)[4], u8 (&q)[4], bool power_of_two)
{
    float amax = 0.0f;
    for (int j = 0; j < 4; j++) amax = fmaxf(amax, fabsf(v[j]));
    const float scale = act_quant_scale(warp_max(amax), power_of_two);
    for (int j = 0; j < 4; j++) q[j] = float_to_e4m3(fminf(fmaxf(__fdiv_rn(v[j], scale), -448.0f), 448.0f));
    return scale;
}

// Act-quant of one 128-column block held by a warp (ActQuant.QuantizeRow): lane l holds columns 32j + l in v[j], 0
// past the row's end. Returns the block's scale (act_quant_scale of its |max|, every lane) and writes
// codes[32j + l] = e4m3(clamp(v[j] / scale, +-448)) for the first `valid` columns.
__device__ __forceinline__ float warp_act_quant_block(const float (&v)[4], int lane, int valid, u8* codes, bool power_of_two)
{
    u8 q[4];
    const float scale = warp_act_quant_codes(v, q, power_of_two);
    for (int j = 0; j < 4; j++)
    {
        const int c = j * 32 + lane;
        if (c < valid) codes[c] = q[j];
    }
    return scale;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); scratch: 32 floats of shared memory.
// Every thread gets the result; scratch may be reused after the call.
__device__ __forceinline__ float block_sum(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        float w = lane < warps ? scratch[lane] : 0.0f;
        w = warp_sum(w);
        if (lane == 0) scratch[0] = w;
    }
    __syncthreads();
    float total = scratch[0];
    __syncthreads();
    return total;
}

// Max over the block, as block_sum.
__device__ __forceinline__ float block_max(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        float w = lane < warps ? scratch[lane] : SS_NEG_INF;
        w = warp_max(w);
        if (lane == 0) scratch[0] = w;
    }
    __syncthreads();
    float result = scratch[0];
    __syncthreads();
    return result;
}

// A softmax row's log-sum-exp ln(sum_j exp(s_j)) from its max and sum_j exp(s_j - max), natural log (the MLA ops' lse);
// -inf for a row without a finite score (sum 0), the log of an empty sum.
__device__ __forceinline__ float softmax_lse(float max, float sum)
{
    return max == SS_NEG_INF || !(sum > 0.0f) ? SS_NEG_INF : max + logf(sum);
}

// ---- shared memory, asynchronous copies, warp-level tensor cores (sm_80+, e4m3 sm_89+; emitted only where used) ----

// The shared-state-space address of a generic pointer into shared memory.
__device__ __forceinline__ u32 smem_addr(const void* p)
{
    u32 r;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(r) : "l"(p));
    return r;
}

// 16 bytes of a stream read once (weights): not kept in L1, L2 still sees them.
__device__ __forceinline__ uint4 load_stream16(const uint4* p)
{
    uint4 v;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}

// 16 (or 4) bytes global -> shared, asynchronously; bytes = 0 stores zeros (src must still be a valid address)
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, int bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(dst), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp_async4(u32 dst, const void* src, int bytes)
{
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" :: "r"(dst), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;"); }

// ldmatrix: four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i (_trans: transposed)
__device__ __forceinline__ void ldsm_x4(u32 addr, u32& r0, u32& r1, u32& r2, u32& r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

__device__ __forceinline__ void ldsm_x4_trans(u32 addr, u32& r0, u32& r1, u32& r2, u32& r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

// d += a (16x16 bf16) * b (16x8 bf16), fp32 accumulation
__device__ __forceinline__ void mma_bf16_16816(float* d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

#if __CUDA_ARCH__ >= 890
// d += a (16x32 e4m3) * b (32x8 e4m3), fp32 accumulation (sm_89+): 4 codes per register, a0 (row g, k 4t..4t+3),
// a1 (g+8, 4t..), a2 (g, 16+4t..), a3 (g+8, 16+4t..); b0 (k 4t.., col g), b1 (k 16+4t.., col g)
__device__ __forceinline__ void mma_e4m3_16832(float* d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
#endif

// Word j of a 16-byte fragment load (j a compile-time constant after unrolling).
__device__ __forceinline__ u32 tc_word(const uint4& v, int j) { return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w; }

// Zeroes an MT x NT grid of mma fragments (4 fp32 each).
template <int MT, int NT>
__device__ __forceinline__ void tc_zero(float (&f)[MT][NT][4])
{
    #pragma unroll
    for (int mt = 0; mt < MT; mt++)
        #pragma unroll
        for (int nt = 0; nt < NT; nt++)
            #pragma unroll
            for (int e = 0; e < 4; e++) f[mt][nt][e] = 0.0f;
}

#if __CUDA_ARCH__ >= 890
// One 16-code chunk of a K block on the FP8 tensor cores: for each (m, n) tile, d += A (rows g, g + 8: a[m][0], a[m][1])
// x B (column g: b[n]), two m16n8k32 steps; the lane's words 2q, 2q+1 are k slots {4t..} and {16+4t..} of A and B alike,
// so each code meets its partner once (the order fp8_gemm_tc and fp8_gemv_tc share).
template <int MT, int NT>
__device__ __forceinline__ void tc_mma_chunk(float (&d)[MT][NT][4], const uint4 (&a)[MT][2], const uint4 (&b)[NT])
{
    #pragma unroll
    for (int q = 0; q < 2; q++)
        #pragma unroll
        for (int mt = 0; mt < MT; mt++)
            #pragma unroll
            for (int nt = 0; nt < NT; nt++)
                mma_e4m3_16832(d[mt][nt], tc_word(a[mt][0], 2 * q), tc_word(a[mt][1], 2 * q), tc_word(a[mt][0], 2 * q + 1),
                    tc_word(a[mt][1], 2 * q + 1), tc_word(b[nt], 2 * q), tc_word(b[nt], 2 * q + 1));
}
#endif

// two bf16 (round to nearest even) in one register, lo in the low half
__device__ __forceinline__ u32 pack_bf16x2(float lo, float hi) { return (u32)bf16_bits(lo) | ((u32)bf16_bits(hi) << 16); }

// ---- grouped expert GEMMs: which tile and matrix a block of the grid computes --------------------------------------
// Grid (column tiles of both matrices, tiles): tiles[i] = (expert, first row, row end) for i < *tile_count (moe_plan).
// Column tiles below ceil(n_split / bn) belong to matrix mat0 (y columns 0 .. n_split), the rest to mat1 (columns
// n_split .. y_stride); experts holds 6 addresses per expert (gate, gate scales, up, up scales, down, down scales).
struct GroupedTile
{
    int m0, m_end;       // the tile's rows
    int n0, out;         // its first output and the matrix's output count
    int y_col0;          // where the matrix's columns start in y
    const u8* w;         // the matrix's codes [out, in] and block scales
    const float* w_scales;
};

// false when this block has no tile (past the device-side count): it leaves at once
__device__ __forceinline__ bool grouped_tile(const int4* tiles, const int* tile_count, const u64* experts, int mat0, int mat1,
    int n_split, int y_stride, int bn, GroupedTile& g)
{
    if ((int)blockIdx.y >= *tile_count) return false;
    const int4 tile = tiles[blockIdx.y];
    const int tiles0 = (n_split + bn - 1) / bn;
    const bool second = (int)blockIdx.x >= tiles0;
    const u64* e = experts + (i64)tile.x * 6 + 2 * (second ? mat1 : mat0);
    g.m0 = tile.y;
    g.m_end = tile.z;
    g.n0 = ((int)blockIdx.x - (second ? tiles0 : 0)) * bn;
    g.out = second ? y_stride - n_split : n_split;
    g.y_col0 = second ? n_split : 0;
    g.w = (const u8*)e[0];
    g.w_scales = (const float*)e[1];
    return true;
}

// ---- warpgroup tensor cores (sm_90a only: wgmma needs the arch-specific target) -----------------------------------
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// wgmma shared-memory descriptor, 128-byte swizzle, with its leading / stride byte offsets (an N-major operand: lbo
// between 64-element pieces, sbo between 8-row groups)
__device__ __forceinline__ u64 wgmma_desc_sw128(u32 addr, u32 lbo, u32 sbo)
{
    return (u64)((addr & 0x3FFFFu) >> 4) | ((u64)(lbo >> 4) << 16) | ((u64)(sbo >> 4) << 32) | (1ull << 62);
}

// the same, K-major: 8-row groups 1024 bytes apart
__device__ __forceinline__ u64 wgmma_desc_sw128(u32 addr) { return wgmma_desc_sw128(addr, 16, 1024); }

// keeps the compiler from moving reads or writes of accumulators across an asynchronous wgmma (after a wait; and
// before the first wgmma, so zeroing is not sunk behind it: ptxas serialises wgmma around such writes, C7515)
template <int N>
__device__ __forceinline__ void wgmma_pin(float (&d)[N])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+f"(d[i]) :: "memory");
}

// two e4m3 codes (low byte first) -> f16x2 (low half first)
__device__ __forceinline__ u32 f16x2_from_e4m3x2(u32 two_codes)
{
    u32 r;
    asm("{\n.reg .b16 c;\ncvt.u16.u32 c, %1;\ncvt.rn.f16x2.e4m3x2 %0, c;\n}\n" : "=r"(r) : "r"(two_codes));
    return r;
}

// d (64 x 64 fp32) (+)= A (64 x 16 f16, registers) * B (64 x 16 f16, shared, K-major)^T
__device__ __forceinline__ void wgmma_f16(float (&d)[32], const u32 (&a)[4], u64 db, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate));
}

// d (64 x 128 fp32) (+)= A (64 x 16 f16, registers) * B (128 x 16 f16, shared, K-major)^T: two queries' heads
__device__ __forceinline__ void wgmma_f16(float (&d)[64], const u32 (&a)[4], u64 db, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate));
}

// four e4m3 codes -> two f16x2: codes 0, 1 and codes 2, 3 (the b16 halves of the word, so no shift)
__device__ __forceinline__ void f16x2x2_from_e4m3x4(u32 four_codes, u32& lo, u32& hi)
{
    asm("{\n.reg .b16 l, h;\nmov.b32 {l, h}, %2;\ncvt.rn.f16x2.e4m3x2 %0, l;\ncvt.rn.f16x2.e4m3x2 %1, h;\n}\n"
        : "=r"(lo), "=r"(hi) : "r"(four_codes));
}

// d (64 x 256) += A (64 x 16, bf16 registers) * B (16 x 256, bf16 shared, N-major: the transposed operand)
__device__ __forceinline__ void wgmma_bf16_mn(float (&d)[128], const u32 (&a)[4], u64 db)
{
    asm volatile("{\n.reg .pred p;\nsetp.eq.u32 p, 1, 1;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, {%128, %129, %130, %131}, %132, p, 1, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N>   // wait until at most N committed groups of this warpgroup are pending
__device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory"); }

// mbarriers (shared-state-space addresses): wait until the phase of the given parity has completed; plain arrive
__device__ __forceinline__ void mbar_wait(u32 bar, u32 parity)
{
    asm volatile("{\n.reg .pred p;\nWAIT:\nmbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n@!p bra WAIT;\n}\n"
                 :: "r"(bar), "r"(parity) : "memory");
}

// mbarriers bars, bars + 8, ... (stages of them) expecting COUNT arrivals each; mbar_init_fence() then makes them
// visible to the other threads and the asynchronous proxy (before the block barrier that precedes their first use)
template <int COUNT>
__device__ __forceinline__ void mbar_init_ring(u32 bars, int stages)
{
    for (int s = 0; s < stages; s++) asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" :: "r"(bars + 8 * s), "n"(COUNT) : "memory");
}

__device__ __forceinline__ void mbar_init_fence() { asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory"); }

__device__ __forceinline__ void mbar_arrive(u32 bar) { asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" :: "r"(bar) : "memory"); }

#endif
