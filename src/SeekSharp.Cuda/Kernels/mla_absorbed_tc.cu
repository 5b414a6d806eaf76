// Absorbed (MQA-form) MLA on tensor cores: the fast path of IComputeDevice.MlaAbsorbed (MlaLauncher picks it when
// the shape fits; mla_attention.cu's mla_absorbed is the general fallback). Per query token t and head h:
//
//   qa = bf16(W_UK[h]^T q_nope)                                (cuBLAS or mla_abs_gemm/gemv, + mla_abs_qpe)
//   s_j = (qa . latent_j + q_pe . k_pe_j) * scale               (mla_abs_qk: fp32 scores)
//   p_j = bf16(exp(s_j - max) / sum)  over the whole row        (mla_abs_prob; also lse = max + ln(sum) when asked)
//   o_lat = bf16(sum_j p_j latent_j)                            (mla_abs_pv partial sums per split; mla_abs_combine)
//   out[t, h, :] = bf16(W_UV[h] o_lat)                          (cuBLAS, or mla_abs_gemm / mla_abs_gemv for <= 4 tokens)
//
// Every operand is bf16-representable (the F32 buffers hold bf16 values; p, qa and o_lat are rounded to bf16 by
// definition), so mma.sync m16n8k16 bf16 x bf16 -> fp32 forms each product exactly; only the fp32 summation order
// differs from the C# reference. A bf16 cache (latent [*, lora], ropeKeys [*, rope]) is read in place (MtcKeys). An
// F32 cache is first copied as bf16 rows kc [rows, kw] = latent | k_pe | zeros (kw = lora + rope rounded up to 16):
// either the whole cache (rows = key positions) or, when few queries select few keys, just the selected rows
// (rows = t * width + j; mla_abs_qk_direct writes them while it scores).
//
// mma.sync.m16n8k16 fragments (g = lane / 4, c = lane % 4; two bf16 per 32-bit register, lower index in the low half):
//   A 16x16 row-major: a0 (g, 2c..2c+1), a1 (g+8, 2c..), a2 (g, 2c+8..), a3 (g+8, 2c+8..)
//   B 16x8 (k x n):    b0 (k = 2c..2c+1, n = g), b1 (k = 2c+8.., n = g)
//   C 16x8 fp32:       c0,c1 (g, 2c..2c+1), c2,c3 (g+8, 2c..2c+1)
// ldmatrix.x4 loads four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i. Every shared row
// stride below is 16 bytes more than a multiple of 128, so the 8 rows of one matrix fall in distinct bank groups.

#define MTC_THREADS 256
#define MTC_TILE 32          // key slots per tile (QK and PV)
#define MTC_QK_HEADS 128     // heads per mla_abs_qk block: 8 warps x 16
#define MTC_PV_HEADS 64      // heads per mla_abs_pv block: 2 warp rows x 32
#define MTC_MAX_KW 576       // kw = lora + rope rounded up to 16
#define MTC_MAX_LORA 512     // lora multiple of 128
#define MTC_PSTRIDE (MTC_TILE + 8)
#ifndef MTC_EXP
#define MTC_EXP expf         // full-precision exp, as the reference's MathF.Exp (lab builds may try others)
#endif

// ---- helpers (the PTX wrappers live in common.cuh) -------------------------------------------------------------

extern __shared__ float4 mtc_dyn[];   // the dynamic shared memory of mla_abs_qk(_direct) and mla_abs_pv

static __device__ __forceinline__ void mtc_wait_one() { asm volatile("cp.async.wait_group 1;" ::: "memory"); }

// One F32 cache row (latent [*, lora] | ropeKeys [*, rope] | zeros up to kw) into the staging row dst [kw] with
// cp.async: this thread's 16-byte pieces tid % 8 + 8i (8 threads per row). An unused slot (ok false) stages zeros.
static __device__ __forceinline__ void mtc_stage_row(float* dst, const float* __restrict__ latent,
    const float* __restrict__ ropeKeys, int lora, int rope, int kw, long long row, bool ok, int tid)
{
    const float* const lrow = latent + row * lora;
    const float* const rrow = ropeKeys + row * rope;
    for (int p = tid & 7; p < (kw >> 2); p += 8)
    {
        const int c = 4 * p;
        const bool inRow = c < lora + rope;
        const float* const src = c < lora ? lrow + c : inRow ? rrow + (c - lora) : latent;
        cp_async16(smem_addr(dst + c), src, ok && inRow ? 16 : 0);
    }
}

// Slot j of a query's key list (slots < count are used): its key position, indices[j] or j itself without indices.
// False for an unused slot (j >= count, or a negative index); pos is then not a key.
static __device__ __forceinline__ bool mtc_slot(const int* __restrict__ idxRow, int j, int count, int& pos)
{
    pos = j;
    if (j >= count) return false;
    if (idxRow != nullptr) pos = __ldg(idxRow + j);
    return pos >= 0;
}

// Where bf16 key rows live: columns [0, lora) of row r at lat + r * latStride, columns [lora, ropeEnd) at
// rope + r * ropeStride - lora, zeros beyond. Either the kc rows (latent | k_pe | zeros in one buffer: lat = kc,
// rope = kc + lora, both strides kw, ropeEnd = kw) or a bf16 cache's two buffers (latent [*, lora], ropeKeys [*, rope]:
// strides lora and rope, ropeEnd = lora + rope). Strides multiples of 8.
struct MtcKeys
{
    const u16* lat;
    const u16* rope;
    int latStride, ropeStride, lora, ropeEnd;
};

// Key slots [j0, j0 + 32) of one query into tile [32][stride] (bf16): columns [col0, col0 + cols) (multiples of 8) of
// their key rows; unused slots become zero rows, and used[r] says which slots count. Row of slot j: gbase + j (gathered
// rows) or its key position. 8 threads per slot (one index load each), 16-byte cp.async pieces; one commit group.
static __device__ __forceinline__ void mtc_load_keys(u16* tile, int* used, int stride, const MtcKeys& keys,
    int col0, int cols, const int* __restrict__ idxRow, int count, long long gbase, int j0, int tid)
{
    const int r = tid >> 3, j = j0 + r;
    int pos;
    const bool ok = mtc_slot(idxRow, j, count, pos);
    const long long row = !ok ? 0 : gbase >= 0 ? gbase + j : pos;
    const u16* const latRow = keys.lat + row * keys.latStride;
    const u16* const ropeRow = keys.rope + row * keys.ropeStride - keys.lora;
    u16* const dst = tile + r * stride;
    for (int piece = tid & 7; piece < (cols >> 3); piece += 8)
    {
        const int c = col0 + piece * 8;
        const bool inRow = c < keys.ropeEnd;
        cp_async16(smem_addr(dst + piece * 8), c < keys.lora ? latRow + c : inRow ? ropeRow + c : keys.lat, ok && inRow ? 16 : 0);
    }
    if ((tid & 7) == 0) used[r] = ok ? 1 : 0;
    cp_async_commit();
}

// ------------------------------------------------------------------------------------------------------------
// kc rows. grid (rows), block 64. gathered (indices != null): row r = t * width + j copies key position indices[r]
// (< 0: zeros); else row r copies position r. kc [rows, kw] bf16 bits = latent | k_pe | zeros.
// ------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(64)
mla_abs_keys(const float* __restrict__ latent, const float* __restrict__ ropeKeys, const int* __restrict__ indices,
             u16* __restrict__ kc, int lora, int rope, int kw)
{
    const long long r = blockIdx.x;
    const int src = indices != nullptr ? __ldg(indices + r) : (int)r;
    float x[MTC_MAX_KW / 64];   // all loads in flight before the stores
#pragma unroll
    for (int i = 0; i < MTC_MAX_KW / 64; i++)
    {
        const int c = threadIdx.x + 64 * i;
        x[i] = 0.0f;
        if (src >= 0 && c < lora) x[i] = __ldg(latent + (long long)src * lora + c);
        else if (src >= 0 && c >= lora && c < lora + rope) x[i] = __ldg(ropeKeys + (long long)src * rope + (c - lora));
    }
#pragma unroll
    for (int i = 0; i < MTC_MAX_KW / 64; i++)
    {
        const int c = threadIdx.x + 64 * i;
        if (c < kw) kc[r * kw + c] = bf16_bits(x[i]);
    }
}

// mla_abs_keys for a cache of FP8 latent rows (Fp8LatentRow: lora e4m3 codes then lora/128 fp32 scales, row_bytes
// apart) and a k_pe cache of bf16 values, stored as bf16 or (rope_f32) fp32: kc rows = bf16(code * scale) (exact) |
// k_pe | zeros. grid (rows), block 64.
extern "C" __global__ void __launch_bounds__(64)
mla_abs_keys_fp8(const u8* __restrict__ latent, int row_bytes, const void* __restrict__ ropeKeys, int rope_f32,
                 const int* __restrict__ indices, u16* __restrict__ kc, int lora, int rope, int kw)
{
    const long long r = blockIdx.x;
    const int src = indices != nullptr ? __ldg(indices + r) : (int)r;
    const u8* row = latent + (long long)(src >= 0 ? src : 0) * row_bytes;
    const float* scales = reinterpret_cast<const float*>(row + lora);
    u16 x[MTC_MAX_KW / 64];   // all loads in flight before the stores
#pragma unroll
    for (int i = 0; i < MTC_MAX_KW / 64; i++)
    {
        const int c = threadIdx.x + 64 * i;
        x[i] = 0;
        if (src >= 0 && c < lora) x[i] = bf16_bits(e4m3_to_float(__ldg(row + c)) * __ldg(scales + c / 128));
        else if (src >= 0 && c >= lora && c < lora + rope)
        {
            const long long at = (long long)src * rope + (c - lora);
            x[i] = rope_f32 ? bf16_bits(__ldg((const float*)ropeKeys + at)) : __ldg((const u16*)ropeKeys + at);
        }
    }
#pragma unroll
    for (int i = 0; i < MTC_MAX_KW / 64; i++)
    {
        const int c = threadIdx.x + 64 * i;
        if (c < kw) kc[r * kw + c] = x[i];
    }
}

// qa[t, h, lora..kw) = bf16(q_pe) then zeros; q [T, heads, nope + rope], qa [T, heads, kw]. With qacc [T, heads, lora]
// (W_UK^T q_nope in fp32, from cuBLAS) also qa[t, h, 0..lora) = bf16(qacc). grid ceil(T*heads*width/256), width = kw - lora,
// or kw with qacc.
extern "C" __global__ void __launch_bounds__(256)
mla_abs_qpe(const float* __restrict__ q, const float* __restrict__ qacc, u16* __restrict__ qa, long long rows, int nope,
            int rope, int lora, int kw)
{
    const int first = qacc != nullptr ? 0 : lora, width = kw - first;
    const long long e = (long long)blockIdx.x * 256 + threadIdx.x;
    if (e >= rows * width) return;
    const long long row = e / width;
    const int c = first + (int)(e - row * width);
    const float x = c < lora ? __ldg(qacc + row * lora + c)
                  : c < lora + rope ? __ldg(q + row * (nope + rope) + nope + (c - lora)) : 0.0f;
    qa[row * kw + c] = bf16_bits(x);
}

// Before a bf16 W_UK product: qn [T, heads, nope] = bf16 bits of q_nope, and qa[t, h, lora..kw) = bf16(q_pe) then
// zeros (cuBLAS writes qa's first lora columns). q [T, heads, nope + rope]. grid ceil(T*heads*(nope + kw - lora)/256).
extern "C" __global__ void __launch_bounds__(256)
mla_abs_qsplit(const float* __restrict__ q, u16* __restrict__ qn, u16* __restrict__ qa, long long rows, int nope, int rope,
               int lora, int kw)
{
    const int width = nope + kw - lora;
    const long long e = (long long)blockIdx.x * 256 + threadIdx.x;
    if (e >= rows * width) return;
    const long long row = e / width;
    const int c = (int)(e - row * width);
    const float* const qrow = q + row * (nope + rope);
    if (c < nope) qn[row * nope + c] = bf16_bits(__ldg(qrow + c));
    else
    {
        const int r = c - nope;
        qa[row * kw + lora + r] = bf16_bits(r < rope ? __ldg(qrow + nope + r) : 0.0f);
    }
}

// o_lat[t, h, c] = bf16(sum over splits of opart[t, s, h, c]) (fp32, splits in order); opart [T, splits, heads * lora],
// olat [T, heads * lora] as fp32, or as bf16 bits into olatBits when that is given. grid ceil(T * heads * lora / 256).
// Only when the key slots were split (decode): a single split's mla_abs_pv rounds its sums itself.
extern "C" __global__ void __launch_bounds__(256)
mla_abs_combine(const float* __restrict__ opart, float* __restrict__ olat, u16* __restrict__ olatBits, long long perSplit,
                int splits, long long total)
{
    const long long e = (long long)blockIdx.x * 256 + threadIdx.x;
    if (e >= total) return;
    const long long t = e / perSplit;
    const float* const p = opart + t * splits * perSplit + (e - t * perSplit);
    float x = 0.0f;
#pragma unroll 8
    for (int s = 0; s < splits; s++) x += __ldg(p + s * perSplit);
    if (olatBits != nullptr) olatBits[e] = bf16_bits(x);
    else olat[e] = bf16_round(x);
}

// ------------------------------------------------------------------------------------------------------------
// Head-batched GEMM for the two absorbed projections. Head h = blockIdx.y, row tile blockIdx.z (128 rows m),
// column tile blockIdx.x (128 columns n):
//   C[m][n] = bf16( sum_k bf16(a[m*aRow + h*aHead + k]) * B[n][k] ),  B[n][k] = b[h*bHead + (bKN ? k*ldb + n : n*ldb + k)],
//   C at c[m*cRow + h*cHead + n], as bf16 bits (cBits) or as fp32.
// q-absorb: A = q_nope, B = W_UK[h] stored [k = d][n = c] (bKN), C = qa bits.
// output:   A = o_lat, B = W_UV[h] stored [n = d][k = c], C = output.
// block 256: warp (wm = warp % 2, wn = warp / 2) owns rows 64wm.. (4 m-tiles), columns 32wn.. (4 n-tiles). K in
// chunks of 32; the next chunk's 4 + 4 float4 per thread are loaded into registers while the current one is
// multiplied. Needs 16-byte aligned rows: K, N, the strides and the bases multiples of 4 floats (MlaLauncher checks).
// ------------------------------------------------------------------------------------------------------------
#define MTC_GM 128
#define MTC_GK 32
#define MTC_GS (MTC_GK + 8)

extern "C" __global__ void __launch_bounds__(MTC_THREADS, 2)
mla_abs_gemm(const float* __restrict__ a, long long aRow, long long aHead,
             const float* __restrict__ b, long long bHead, int bKN, int ldb,
             void* __restrict__ c, long long cRow, long long cHead, int cBits, int M, int N, int K)
{
    __shared__ __align__(16) u16 As[MTC_GM * MTC_GS];   // [m][k]
    __shared__ __align__(16) u16 Bs[MTC_GM * MTC_GS];   // [n][k]
    const int h = blockIdx.y, m0 = blockIdx.z * MTC_GM, n0 = blockIdx.x * MTC_GM;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp & 1, wn = warp >> 1;
    const float* const ah = a + (long long)h * aHead;
    const float* const bh = b + (long long)h * bHead;
    // [128][32] chunks stored k-contiguous: float4 i (< 4) of a thread = row (tid >> 3) + 32 i, k 4 (tid & 7) + 0..3;
    // [32 k][128 n] (B with bKN): float4 i = k (tid >> 5) + 8 i, n 4 (tid & 31) + 0..3
    const int r0 = tid >> 3, q4 = (tid & 7) * 4;
    const int kr0 = tid >> 5, n4 = (tid & 31) * 4;

    float4 ra[4], rb[4];
    auto load = [&](int k0)
    {
        const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        const bool kA = k0 + q4 < K;
        const float* const pa = ah + (long long)(m0 + r0) * aRow + k0 + q4;
#pragma unroll
        for (int i = 0; i < 4; i++)
            ra[i] = kA && m0 + r0 + 32 * i < M ? __ldg(reinterpret_cast<const float4*>(pa + 32 * i * aRow)) : zero;
        if (bKN)
        {
            const bool nB = n0 + n4 < N;
            const float* const pb = bh + (long long)(k0 + kr0) * ldb + n0 + n4;
#pragma unroll
            for (int i = 0; i < 4; i++)
                rb[i] = nB && k0 + kr0 + 8 * i < K ? __ldg(reinterpret_cast<const float4*>(pb + 8 * i * (long long)ldb)) : zero;
        }
        else
        {
            const bool kB = k0 + q4 < K;
            const float* const pb = bh + (long long)(n0 + r0) * ldb + k0 + q4;
#pragma unroll
            for (int i = 0; i < 4; i++)
                rb[i] = kB && n0 + r0 + 32 * i < N ? __ldg(reinterpret_cast<const float4*>(pb + 32 * i * (long long)ldb)) : zero;
        }
    };

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int k = 0; k < 4; k++) acc[i][j][k] = 0.0f;

    load(0);
    for (int k0 = 0; k0 < K; k0 += MTC_GK)
    {
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            const int r = r0 + 32 * i;
            *reinterpret_cast<uint2*>(As + r * MTC_GS + q4) = make_uint2(pack_bf16x2(ra[i].x, ra[i].y), pack_bf16x2(ra[i].z, ra[i].w));
            if (bKN)
            {
                const int k = kr0 + 8 * i;   // the 4 values are n = n4..n4+3
                Bs[(n4 + 0) * MTC_GS + k] = bf16_bits(rb[i].x);
                Bs[(n4 + 1) * MTC_GS + k] = bf16_bits(rb[i].y);
                Bs[(n4 + 2) * MTC_GS + k] = bf16_bits(rb[i].z);
                Bs[(n4 + 3) * MTC_GS + k] = bf16_bits(rb[i].w);
            }
            else *reinterpret_cast<uint2*>(Bs + r * MTC_GS + q4) = make_uint2(pack_bf16x2(rb[i].x, rb[i].y), pack_bf16x2(rb[i].z, rb[i].w));
        }
        __syncthreads();
        if (k0 + MTC_GK < K) load(k0 + MTC_GK);
#pragma unroll
        for (int ks = 0; ks < MTC_GK / 16; ks++)
        {
            u32 bf[4][2];
#pragma unroll
            for (int p = 0; p < 2; p++)
                // B (stored [n][k]): matrices (n +0, k +0), (n +0, k +8), (n +8, k +0), (n +8, k +8)
                ldsm_x4(smem_addr(Bs + (32 * wn + 16 * p + (lane & 7) + (lane >> 4) * 8) * MTC_GS + 16 * ks + ((lane >> 3) & 1) * 8),
                          bf[2 * p][0], bf[2 * p][1], bf[2 * p + 1][0], bf[2 * p + 1][1]);
#pragma unroll
            for (int mt = 0; mt < 4; mt++)
            {
                u32 a0, a1, a2, a3;
                // A: matrices (rows +0/+8) x (k +0/+8) in the order a0..a3
                ldsm_x4(smem_addr(As + (64 * wm + 16 * mt + (lane & 7) + ((lane >> 3) & 1) * 8) * MTC_GS + 16 * ks + (lane >> 4) * 8),
                          a0, a1, a2, a3);
#pragma unroll
                for (int nt = 0; nt < 4; nt++) mma_bf16_16816(acc[mt][nt], a0, a1, a2, a3, bf[nt][0], bf[nt][1]);
            }
        }
        __syncthreads();
    }

    const int g = lane >> 2, tc = lane & 3;
#pragma unroll
    for (int mt = 0; mt < 4; mt++)
#pragma unroll
        for (int nt = 0; nt < 4; nt++)
#pragma unroll
            for (int r8 = 0; r8 < 2; r8++)
            {
                const int m = m0 + 64 * wm + 16 * mt + g + 8 * r8;
                const int n = n0 + 32 * wn + 8 * nt + 2 * tc;
                const long long at = (long long)m * cRow + (long long)h * cHead + n;
                const float v0 = acc[mt][nt][2 * r8], v1 = acc[mt][nt][2 * r8 + 1];
                if (m < M && n < N)
                {
                    if (cBits) reinterpret_cast<u16*>(c)[at] = bf16_bits(v0);
                    else reinterpret_cast<float*>(c)[at] = bf16_round(v0);
                }
                if (m < M && n + 1 < N)
                {
                    if (cBits) reinterpret_cast<u16*>(c)[at + 1] = bf16_bits(v1);
                    else reinterpret_cast<float*>(c)[at + 1] = bf16_round(v1);
                }
            }
}

// ------------------------------------------------------------------------------------------------------------
// The same product for at most 4 rows m (decode): bandwidth-bound on B, so no tensor cores, just many loads in flight.
// A rows are staged in shared memory rounded to bf16 (K <= 512); B values are rounded to bf16 too, as the GEMM does.
// bKN (B stored [k][n]): grid (ceil(N / 64), heads); 4 groups of 64 threads take every 4th k for 64 columns, then add.
// else (B stored [n][k], rows 16-byte aligned, K % 4 == 0): grid (ceil(N / 8), heads); a warp per column n.
// ------------------------------------------------------------------------------------------------------------
#define MTC_GEMV_M 4

extern "C" __global__ void __launch_bounds__(MTC_THREADS)
mla_abs_gemv(const float* __restrict__ a, long long aRow, long long aHead,
             const float* __restrict__ b, long long bHead, int bKN, int ldb,
             void* __restrict__ c, long long cRow, long long cHead, int cBits, int M, int N, int K)
{
    __shared__ float as[MTC_GEMV_M][MTC_MAX_LORA];
    __shared__ float part[4][MTC_GEMV_M][64];
    const int h = blockIdx.y, tid = threadIdx.x;
    const float* const bh = b + (long long)h * bHead;
    for (int e = tid; e < MTC_GEMV_M * K; e += MTC_THREADS)
    {
        const int m = e / K, k = e - m * K;
        as[m][k] = m < M ? bf16_round(__ldg(a + (long long)m * aRow + (long long)h * aHead + k)) : 0.0f;
    }
    __syncthreads();

    float acc[MTC_GEMV_M];
#pragma unroll
    for (int m = 0; m < MTC_GEMV_M; m++) acc[m] = 0.0f;
    int n;
    if (bKN)
    {
        const int kq = tid >> 6, nn = tid & 63;
        n = blockIdx.x * 64 + nn;
        if (n < N)
        {
            const float* const pb = bh + n;
#pragma unroll 8
            for (int k = kq; k < K; k += 4)
            {
                const float w = bf16_round(__ldg(pb + (long long)k * ldb));
#pragma unroll
                for (int m = 0; m < MTC_GEMV_M; m++) acc[m] = fmaf(as[m][k], w, acc[m]);
            }
        }
#pragma unroll
        for (int m = 0; m < MTC_GEMV_M; m++) part[kq][m][nn] = acc[m];
        __syncthreads();
        if (kq != 0 || n >= N) return;
#pragma unroll
        for (int m = 0; m < MTC_GEMV_M; m++) acc[m] = part[0][m][nn] + part[1][m][nn] + part[2][m][nn] + part[3][m][nn];
    }
    else
    {
        const int warp = tid >> 5, lane = tid & 31;
        n = blockIdx.x * 8 + warp;
        if (n >= N) return;
        const float4* const pb = reinterpret_cast<const float4*>(bh + (long long)n * ldb);
#pragma unroll 4
        for (int k4 = lane; k4 < (K >> 2); k4 += 32)
        {
            const float4 w = __ldg(pb + k4);
            const float wx = bf16_round(w.x), wy = bf16_round(w.y), wz = bf16_round(w.z), ww = bf16_round(w.w);
#pragma unroll
            for (int m = 0; m < MTC_GEMV_M; m++)
            {
                const float* const x = &as[m][4 * k4];
                acc[m] = fmaf(x[3], ww, fmaf(x[2], wz, fmaf(x[1], wy, fmaf(x[0], wx, acc[m]))));
            }
        }
#pragma unroll
        for (int m = 0; m < MTC_GEMV_M; m++) acc[m] = warp_sum(acc[m]);
        if (lane != 0) return;
    }
#pragma unroll
    for (int m = 0; m < MTC_GEMV_M; m++)
    {
        if (m >= M) break;
        const long long at = (long long)m * cRow + (long long)h * cHead + n;
        if (cBits) reinterpret_cast<u16*>(c)[at] = bf16_bits(acc[m]);
        else reinterpret_cast<float*>(c)[at] = bf16_round(acc[m]);
    }
}

// ------------------------------------------------------------------------------------------------------------
// Scores. grid (ceil(heads / 128), splits, T), block 256.
// Block (head group, split, t) scores key slots [split * splitSlots, +splitSlots) within [0, slotsPad) for 128 heads:
// scores[t, h, j] = s_j (fp32; -inf for unused slots). The softmax is mla_abs_prob's: at one block per SM this kernel
// is bound by issuing instructions, and a running max and sum here cost 16 exps per lane per tile on that path.
// Warp w owns heads 16w..16w+15: their qa fragments (kw/16 k-steps x 4 registers) stay in registers. The score
// epilogue of tile it - 1 is issued after tile it's multiplies, so the two overlap.
// qa [T, heads, kw] bf16 bits; indices [T, width] or null; scores [T, heads, slotsPad].
//
// mla_abs_qk: keys from the bf16 rows kc [rows, kw]; dynamic shared 3 * 32 * (kw + 8) bf16 (a ring of three key
// tiles: tile it + 2 loads while tile it is multiplied, so one barrier per tile suffices).
// mla_abs_qk_direct (decode over gathered rows): keys straight from the F32 cache (latent [*, lora], ropeKeys [*, rope],
// row = the slot's index), so no separate gather pass. Dynamic shared: two bf16 tiles [32][kw + 8] | two F32 staging
// tiles [32][kw]. Each thread cp.asyncs the same 16-byte pieces of every tile and converts exactly those pieces to bf16
// itself, so staging needs no barrier of its own; the block of head group 0 also writes the bf16 rows to
// kcOut[t * width + j] (j < count) for mla_abs_pv.
// ------------------------------------------------------------------------------------------------------------
template <bool DIRECT>
static __device__ __forceinline__ void mtc_qk(const u16* __restrict__ qa, const MtcKeys keys,
    const float* __restrict__ latent, const float* __restrict__ ropeKeys, u16* __restrict__ kcOut, int lora, int rope,
    const int* __restrict__ indices, float* __restrict__ scores,
    int indexWidth, int startPos, int gathered, int heads, int kw, int slotsPad, int splitSlots, float scale)
{
    __shared__ int used[8][MTC_TILE];   // per tile % 8 (bf16 form: % 4): the epilogue of tile it - 1 runs while later tiles load
    u16* const tiles = reinterpret_cast<u16*>(mtc_dyn);
    const int stride = kw + 8, tileElems = MTC_TILE * stride;
    float* const stage = reinterpret_cast<float*>(tiles + 2 * tileElems);   // DIRECT only: [2][32][kw]
    const int t = blockIdx.z, split = blockIdx.y;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, tc = lane & 3;
    const int hA = blockIdx.x * MTC_QK_HEADS + warp * 16 + g, hB = hA + 8;   // this lane's two heads
    const bool okA = hA < heads, okB = hB < heads;
    const int* const idxRow = indices != nullptr ? indices + (long long)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : startPos + t + 1;
    const long long gbase = gathered ? (long long)t * indexWidth : -1;
    const int j0 = split * splitSlots, j1 = min(j0 + splitSlots, slotsPad);
    const int ntiles = j1 > j0 ? (j1 - j0) / MTC_TILE : 0;
    const int nks = kw >> 4;

    // DIRECT: this thread's row of a tile (slot jt + (tid >> 3)) and its 16-byte pieces tid % 8 + 8i (4 floats each)
    const int sr = tid >> 3, pieces = kw >> 2;
    auto issue = [&](int jt, int buf)   // F32 rows of slots jt.. into staging buffer buf, one commit group
    {
        int pos;
        const bool ok = mtc_slot(idxRow, jt + sr, count, pos);
        mtc_stage_row(stage + (buf * MTC_TILE + sr) * kw, latent, ropeKeys, lora, rope, kw, ok ? pos : 0, ok, tid);
        if ((tid & 7) == 0) used[(((jt - j0) / MTC_TILE)) & 7][sr] = ok ? 1 : 0;
        cp_async_commit();
    };
    auto convert = [&](int jt, int buf)   // this thread's staged pieces -> bf16 tile buf (and kcOut)
    {
        const int j = jt + sr;
        const float* const src = stage + (buf * MTC_TILE + sr) * kw;
        u16* const dst = tiles + buf * tileElems + sr * stride;
        const bool out = kcOut != nullptr && j < count;
        u16* const grow = kcOut + (out ? (gbase + j) * kw : 0);
        for (int p = tid & 7; p < pieces; p += 8)
        {
            const float4 x = *reinterpret_cast<const float4*>(src + 4 * p);
            const uint2 w = make_uint2(pack_bf16x2(x.x, x.y), pack_bf16x2(x.z, x.w));
            *reinterpret_cast<uint2*>(dst + 4 * p) = w;
            if (out) *reinterpret_cast<uint2*>(grow + 4 * p) = w;
        }
    };

    // the first two tiles start loading before the qa fragments are read
    if (DIRECT)
    {
        if (ntiles > 0) issue(j0, 0);
        else cp_async_commit();
        if (ntiles > 1) issue(j0 + MTC_TILE, 1);
        else cp_async_commit();
    }
    else
    {
        if (ntiles > 0) mtc_load_keys(tiles, used[0], stride, keys, 0, kw, idxRow, count, gbase, j0, tid);
        if (ntiles > 1) mtc_load_keys(tiles + tileElems, used[1], stride, keys, 0, kw, idxRow, count, gbase, j0 + MTC_TILE, tid);
        else cp_async_commit();
    }

    // qa fragments: row hA -> a0/a2, row hB -> a1/a3; u32 column 8ks + tc = bf16 columns 16ks + 2tc, +1 (+8 for a2/a3)
    u32 fa[MTC_MAX_KW / 16][4];
    const u32* const rowA = reinterpret_cast<const u32*>(qa + ((long long)t * heads + (okA ? hA : 0)) * kw);
    const u32* const rowB = reinterpret_cast<const u32*>(qa + ((long long)t * heads + (okB ? hB : 0)) * kw);
#pragma unroll
    for (int ks = 0; ks < MTC_MAX_KW / 16; ks++)
    {
        if (ks < nks)
        {
            fa[ks][0] = okA ? __ldg(rowA + 8 * ks + tc) : 0u;
            fa[ks][1] = okB ? __ldg(rowB + 8 * ks + tc) : 0u;
            fa[ks][2] = okA ? __ldg(rowA + 8 * ks + tc + 4) : 0u;
            fa[ks][3] = okB ? __ldg(rowB + 8 * ks + tc + 4) : 0u;
        }
    }

    float* const srowA = scores + ((long long)t * heads + hA) * slotsPad;
    float* const srowB = scores + ((long long)t * heads + hB) * slotsPad;
    // this lane's ldmatrix row in a tile: key (lane & 7) + 8 (lane >= 16), column +8 for lanes 8..15 and 24..31
    const int keyOff = (lane & 7) + (lane >> 4) * 8, colOff = ((lane >> 3) & 1) * 8;

    // scores of one finished tile (slots jt..jt+31): scale, -inf for unused slots, store, update the running max/sum
    auto epilogue = [&](const float (&acc)[4][4], int jt, const int* u)
    {
        float sa[8], sb[8];   // this lane's 8 slots of the tile for heads hA, hB
#pragma unroll
        for (int nt = 0; nt < 4; nt++)
        {
            const int r = 8 * nt + 2 * tc;
            const bool u0 = u[r] != 0, u1 = u[r + 1] != 0;
            sa[2 * nt] = u0 ? acc[nt][0] * scale : SS_NEG_INF;
            sa[2 * nt + 1] = u1 ? acc[nt][1] * scale : SS_NEG_INF;
            sb[2 * nt] = u0 ? acc[nt][2] * scale : SS_NEG_INF;
            sb[2 * nt + 1] = u1 ? acc[nt][3] * scale : SS_NEG_INF;
#ifndef MTC_DIAG_QK_NOSTORE
            if (okA) *reinterpret_cast<float2*>(srowA + jt + r) = make_float2(sa[2 * nt], sa[2 * nt + 1]);
            if (okB) *reinterpret_cast<float2*>(srowB + jt + r) = make_float2(sb[2 * nt], sb[2 * nt + 1]);
#endif
        }
    };
    float prev[4][4];   // the previous tile's accumulators: its epilogue overlaps this tile's multiplies

    for (int it = 0; it < ntiles; it++)
    {
        const int jt = j0 + it * MTC_TILE;
        const u16* tile;
        const int* prevUsed;
        if (DIRECT)
        {
            mtc_wait_one();      // this thread's pieces of tile it have landed (tile it + 1 may still fly)
            convert(jt, it & 1); // bf16 buffer it % 2 was last read for tile it - 2, before the previous barrier
            __syncthreads();     // everyone's bf16 pieces visible
            if (it + 2 < ntiles) issue(jt + 2 * MTC_TILE, it & 1);   // refills only this thread's converted pieces
            else cp_async_commit();
            tile = tiles + (it & 1) * tileElems;
            prevUsed = used[(it - 1) & 7];
        }
        else
        {
            mtc_wait_one();    // this thread's pieces of tile it have landed (tile it + 1 may still fly)
            __syncthreads();   // everyone's pieces visible; everyone is done with tile it - 1, whose buffer is refilled now
            if (it + 2 < ntiles)
                mtc_load_keys(tiles + ((it + 2) % 3) * tileElems, used[(it + 2) % 4], stride, keys, 0, kw, idxRow, count, gbase,
                              jt + 2 * MTC_TILE, tid);
            else cp_async_commit();   // an empty group keeps "all but the newest group" meaning tile it + 1
            tile = tiles + (it % 3) * tileElems;
            prevUsed = used[(it - 1) & 3];
        }

        float acc[4][4];
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int k = 0; k < 4; k++) acc[i][k] = 0.0f;
#ifndef MTC_DIAG_QK_NOMMA   // lab switches: leave a stage out to time the rest
#pragma unroll
        for (int ks = 0; ks < MTC_MAX_KW / 16; ks++)
        {
            if (ks < nks)
            {
#pragma unroll
                for (int p = 0; p < 2; p++)
                {
                    u32 b0, b1, b2, b3;   // keys 16p..16p+7 -> (b0, b1), keys 16p+8.. -> (b2, b3)
                    ldsm_x4(smem_addr(tile + (16 * p + keyOff) * stride + 16 * ks + colOff), b0, b1, b2, b3);
                    mma_bf16_16816(acc[2 * p], fa[ks][0], fa[ks][1], fa[ks][2], fa[ks][3], b0, b1);
                    mma_bf16_16816(acc[2 * p + 1], fa[ks][0], fa[ks][1], fa[ks][2], fa[ks][3], b2, b3);
                }
            }
        }
#endif
        if (it > 0) epilogue(prev, jt - MTC_TILE, prevUsed);
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int k = 0; k < 4; k++) prev[i][k] = acc[i][k];
    }
    if (ntiles > 0) epilogue(prev, j0 + (ntiles - 1) * MTC_TILE, DIRECT ? used[(ntiles - 1) & 7] : used[(ntiles - 1) & 3]);

}

// Keys as MtcKeys (keyLat, keyRope, latStride, ropeStride, lora, ropeEnd): the kc rows, or a bf16 cache read in place.
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 1)
mla_abs_qk(const u16* __restrict__ qa, const u16* __restrict__ keyLat, const u16* __restrict__ keyRope, int latStride,
           int ropeStride, int lora, int ropeEnd, const int* __restrict__ indices, float* __restrict__ scores,
           int indexWidth, int startPos, int gathered, int heads, int kw, int slotsPad, int splitSlots, float scale)
{
    mtc_qk<false>(qa, MtcKeys{ keyLat, keyRope, latStride, ropeStride, lora, ropeEnd }, nullptr, nullptr, nullptr, 0, 0,
                  indices, scores, indexWidth, startPos, gathered, heads, kw, slotsPad, splitSlots, scale);
}

// kcOut [T, indexWidth, kw] (gathered rows for mla_abs_pv) or null; indices required (gathered = 1).
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 1)
mla_abs_qk_direct(const u16* __restrict__ qa, const float* __restrict__ latent, const float* __restrict__ ropeKeys,
                  u16* __restrict__ kcOut, int lora, int rope, const int* __restrict__ indices, float* __restrict__ scores,
                  int indexWidth, int heads, int kw, int slotsPad, int splitSlots, float scale)
{
    mtc_qk<true>(qa, MtcKeys{}, latent, ropeKeys, blockIdx.x == 0 ? kcOut : nullptr, lora, rope, indices, scores,
                 indexWidth, 0, 1, heads, kw, slotsPad, splitSlots, scale);
}

// ------------------------------------------------------------------------------------------------------------
// Probabilities. grid (heads, T), block 256. Row (t, h): max = the largest score, sum = sum of exp(s_j - max), then
// prob[t, h, j] = bf16(exp(s_j - max) / sum) for every slot j < slotsPad (0 for -inf scores, and for a head that saw no
// key), as the reference computes it (max first, then one sum). A row of up to 2048 slots is read once and its exps
// kept in registers; a longer one takes three passes (the later two read it from cache). scores [T, heads, slotsPad] fp32 (slotsPad a multiple of 8); prob [T, heads, slotsPad] bf16.
// lse [T, heads] or null: the row's max + ln(sum) (-inf without a key). This is the only softmax of the row: the PV
// splits after it sum already-normalised p, so no partial lse exists and mla_abs_combine has none to merge.
// ------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(MTC_THREADS)
mla_abs_prob(const float* __restrict__ scores, u16* __restrict__ prob, float* __restrict__ lse, int heads, int slotsPad)
{
    __shared__ float red[32];
    const int tid = threadIdx.x;
    const long long row = (long long)blockIdx.y * heads + blockIdx.x;
    const float* const srow = scores + row * slotsPad;
    u16* const prow = prob + row * slotsPad;
    auto eight = [&](int j, float (&s)[8])
    {
        const float4 x = *reinterpret_cast<const float4*>(srow + j);
        const float4 y = *reinterpret_cast<const float4*>(srow + j + 4);
        s[0] = x.x; s[1] = x.y; s[2] = x.z; s[3] = x.w; s[4] = y.x; s[5] = y.y; s[6] = y.z; s[7] = y.w;
    };

    if (slotsPad <= 8 * MTC_THREADS)
    {
        // a row of at most 2048 slots (every sparse row): this thread's 8 scores and their exps stay in registers, so
        // the row is read once and each exp is computed once (the same values and order as the loop below)
        const int j = 8 * tid;
        const bool mine = j < slotsPad;
        float s[8];
        if (mine) eight(j, s);
        float m = SS_NEG_INF;
#pragma unroll
        for (int k = 0; k < 8; k++) m = mine ? fmaxf(m, s[k]) : m;
        m = block_max(m, red);
        float l = 0.0f;
        if (m != SS_NEG_INF && mine)
#pragma unroll
            for (int k = 0; k < 8; k++)
            {
                s[k] = MTC_EXP(s[k] - m);   // exp(-inf) = 0
                l += s[k];
            }
        l = block_sum(l, red);
        if (lse != nullptr && tid == 0) lse[row] = softmax_lse(m, l);
        if (!mine) return;
        u32 w[4] = { 0u, 0u, 0u, 0u };
        if (m != SS_NEG_INF)
#pragma unroll
            for (int k = 0; k < 4; k++) w[k] = pack_bf16x2(s[2 * k] / l, s[2 * k + 1] / l);
        *reinterpret_cast<uint4*>(prow + j) = make_uint4(w[0], w[1], w[2], w[3]);
        return;
    }
    float m = SS_NEG_INF;
    for (int j = 8 * tid; j < slotsPad; j += 8 * MTC_THREADS)
    {
        float s[8];
        eight(j, s);
#pragma unroll
        for (int k = 0; k < 8; k++) m = fmaxf(m, s[k]);
    }
    m = block_max(m, red);
    float l = 0.0f;
    if (m != SS_NEG_INF)
        for (int j = 8 * tid; j < slotsPad; j += 8 * MTC_THREADS)
        {
            float s[8];
            eight(j, s);
#pragma unroll
            for (int k = 0; k < 8; k++) l += MTC_EXP(s[k] - m);   // exp(-inf) = 0
        }
    l = block_sum(l, red);
    if (lse != nullptr && tid == 0) lse[row] = softmax_lse(m, l);
    for (int j = 8 * tid; j < slotsPad; j += 8 * MTC_THREADS)
    {
        u32 w[4] = { 0u, 0u, 0u, 0u };
        if (m != SS_NEG_INF)
        {
            float s[8];
            eight(j, s);
#pragma unroll
            for (int k = 0; k < 4; k++)
                w[k] = pack_bf16x2(MTC_EXP(s[2 * k] - m) / l, MTC_EXP(s[2 * k + 1] - m) / l);
        }
        *reinterpret_cast<uint4*>(prow + j) = make_uint4(w[0], w[1], w[2], w[3]);
    }
}

// ------------------------------------------------------------------------------------------------------------
// Weighted sums. grid (2 * ceil(heads / 64), splits, T), block 256, dynamic shared: three key tiles [32][lora/2 + 8]
// bf16 | three P tiles [64][40] bf16.
// Block (head group blockIdx.x / 2, latent half blockIdx.x % 2, split, t): for its key slots
// opart[t, split, h, half] = sum_j p_j latent_j[half] (fp32), p from mla_abs_prob; with a single split that is o_lat,
// rounded to bf16 (as bf16 bits into olatBits [T, heads, lora] when given). Half the latent per block keeps
// the accumulators at 64 registers, so two blocks share an SM and one's barriers overlap the other's multiplies.
// Warp (wm = warp % 2, wn = warp / 2) owns heads 32wm.. (2 m-tiles) x latent columns wn * lora/8.. (lora/64 n-tiles).
// Key and P tiles stream in with cp.async through a ring of three: tile it + 2 loads while tile it is multiplied.
// ------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(MTC_THREADS, 2)
mla_abs_pv(const u16* __restrict__ kc, const int* __restrict__ indices, const u16* __restrict__ prob,
           float* __restrict__ opart, u16* __restrict__ olatBits, int indexWidth, int startPos, int gathered, int heads,
           int kw, int lora, int slotsPad, int splitSlots)
{
    const MtcKeys keys{ kc, kc, kw, kw, lora, lora };   // only latent columns: kc rows (row stride kw) or a bf16 cache (kw = lora)
    __shared__ int used[3][MTC_TILE];   // unused here (zero rows and p = 0 already drop those slots)
    const int half = lora >> 1, stride = half + 8, tileElems = MTC_TILE * stride;
    u16* const tiles = reinterpret_cast<u16*>(mtc_dyn);
    u16* const ps = tiles + 3 * tileElems;   // [3][64][40]
    const int pElems = MTC_PV_HEADS * MTC_PSTRIDE;

    const int t = blockIdx.z, split = blockIdx.y, splits = gridDim.y, hb = (blockIdx.x >> 1) * MTC_PV_HEADS;
    const int col0 = (blockIdx.x & 1) * half;   // this block's latent half
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp & 1, wn = warp >> 1;
    const int* const idxRow = indices != nullptr ? indices + (long long)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : startPos + t + 1;
    const long long gbase = gathered ? (long long)t * indexWidth : -1;
    const int j0 = split * splitSlots, j1 = min(j0 + splitSlots, slotsPad);
    const int ntiles = j1 > j0 ? (j1 - j0) / MTC_TILE : 0;
    const int ntw = lora >> 6;              // n-tiles per warp (even: lora % 128 == 0)
    const int nBase = wn * (lora >> 3);     // first tile column of this warp

    // P tile copy: thread -> head pr, 16-byte piece pc (8 slots); heads past the end read as zeros
    const int pr = tid >> 2, pc = tid & 3;
    const bool pok = hb + pr < heads;
    const u16* const prow = prob + ((long long)t * heads + (pok ? hb + pr : 0)) * slotsPad + j0 + 8 * pc;
    auto loadTile = [&](int it)   // P and key tile it into ring slot it % 3, one commit group
    {
        cp_async16(smem_addr(ps + (it % 3) * pElems + pr * MTC_PSTRIDE + 8 * pc), prow + it * MTC_TILE, pok ? 16 : 0);
        mtc_load_keys(tiles + (it % 3) * tileElems, used[it % 3], stride, keys, col0, half, idxRow, count, gbase,
                      j0 + it * MTC_TILE, tid);
    };
    if (ntiles > 0) loadTile(0);
    if (ntiles > 1) loadTile(1);
    else cp_async_commit();

    float acc[2][MTC_MAX_LORA / 64][4];
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int nt = 0; nt < MTC_MAX_LORA / 64; nt++)
#pragma unroll
            for (int k = 0; k < 4; k++) acc[mt][nt][k] = 0.0f;

    // ldmatrix rows: P (A operand) rows +0/+8 then k +0/+8; keys (B, transposed) k +0/+8 then n +0/+8
    const int aRow = (lane & 7) + ((lane >> 3) & 1) * 8, aCol = (lane >> 4) * 8;
    const int bKey = (lane & 7) + ((lane >> 3) & 1) * 8, bCol = (lane >> 4) * 8;

    for (int it = 0; it < ntiles; it++)
    {
        mtc_wait_one();
        __syncthreads();   // tile it visible; everyone is done with tile it - 1, whose ring slot is refilled now
        if (it + 2 < ntiles) loadTile(it + 2);
        else cp_async_commit();
        const u16* const tile = tiles + (it % 3) * tileElems;
        const u16* const pt = ps + (it % 3) * pElems;

#ifndef MTC_DIAG_PV_NOMMA
#pragma unroll
        for (int ks = 0; ks < MTC_TILE / 16; ks++)
        {
            u32 a[2][4];
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
                ldsm_x4(smem_addr(pt + (32 * wm + 16 * mt + aRow) * MTC_PSTRIDE + 16 * ks + aCol), a[mt][0], a[mt][1], a[mt][2], a[mt][3]);
#pragma unroll
            for (int p = 0; p < MTC_MAX_LORA / 128; p++)
            {
                if (2 * p < ntw)
                {
                    u32 b0, b1, b2, b3;   // columns nBase + 16p .. +7 -> (b0, b1), +8 .. +15 -> (b2, b3)
                    ldsm_x4_trans(smem_addr(tile + (16 * ks + bKey) * stride + nBase + 16 * p + bCol), b0, b1, b2, b3);
#pragma unroll
                    for (int mt = 0; mt < 2; mt++)
                    {
                        mma_bf16_16816(acc[mt][2 * p], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b0, b1);
                        mma_bf16_16816(acc[mt][2 * p + 1], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b2, b3);
                    }
                }
            }
        }
#endif
    }

    const int g = lane >> 2, tc = lane & 3;
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int r8 = 0; r8 < 2; r8++)
        {
            const int h = hb + 32 * wm + 16 * mt + g + 8 * r8;
            if (h >= heads) continue;
            float* const orow = opart + (((long long)t * splits + split) * heads + h) * lora + col0 + nBase + 2 * tc;
#pragma unroll
            for (int nt = 0; nt < MTC_MAX_LORA / 64; nt++)
                if (nt < ntw)
                {
                    float x0 = acc[mt][nt][2 * r8], x1 = acc[mt][nt][2 * r8 + 1];
                    if (splits == 1 && olatBits != nullptr)   // o_lat itself, as bf16 bits [T, heads, lora]
                        *reinterpret_cast<u32*>(olatBits + (orow - opart) + 8 * nt) = pack_bf16x2(x0, x1);
                    else
                    {
                        if (splits == 1) { x0 = bf16_round(x0); x1 = bf16_round(x1); }   // o_lat itself: no combine pass
                        *reinterpret_cast<float2*>(orow + 8 * nt) = make_float2(x0, x1);
                    }
                }
        }
}
