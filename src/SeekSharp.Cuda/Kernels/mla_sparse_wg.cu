// mla_sparse_wg.cu - the absorbed sparse MLA (MQA form: a query's heads share each selected key row, latent | k_pe,
// 576 bf16, whose first 512 columns are also the value) on Hopper's warpgroup tensor cores (sm_90a), over a bf16 cache
// read in place. It replaces mla_absorbed_tc.cu's qk / prob / pv chain where the shape fits (MlaLauncher) and keeps its
// semantics:
//   s_j = (qa . key_j) * scale in fp32,   p_j = bf16(exp(s_j - max) / sum) over the whole row,   o_lat = bf16(sum_j p_j v_j)
// as three kernels: the scores here on wgmma, the probabilities by mla_abs_prob (mla_absorbed_tc.cu, the chain's own:
// max first, then the sum, then p = bf16(exp(s - max) / sum), the reference's order), the weighted sums here on wgmma.
//   mla_sparse_qk_wg  scores [T, heads, slotsPad] = (qa . key) * scale, fp32, -inf for unused slots
//   mla_sparse_pv_wg  o_lat = bf16(P V) from the bf16 probabilities [T, heads, slotsPad]
// (Tried first, kernel lab: each score's max and sum folded into the score kernel and p formed inside the PV kernel,
// 12.9 ms at 4096 x 2048 keys: the exps and divisions of both warpgroups at one block per SM bound that PV kernel.
// A one-pass flash form rounds exp(s - running max) before dividing, FlashMLA's order: about twice the chain's error
// against the reference.)
//
// Shared tiles are bf16 rows in 128-byte pieces (64 columns), the 16-byte unit u of row r stored at unit u ^ (r % 8)
// (the 128-byte swizzle wgmma reads): element (r, c) of a [rows][576] tile sits at byte (c / 64) * rows * 128 +
// r * 128 + (((c / 8) % 8) ^ (r % 8)) * 16 + (c % 8) * 2. Key tiles hold MSW_TILE selected rows; a ring of them is
// filled by every thread's cp.async and completed on an mbarrier per stage (full), with a flag per row saying whether
// the slot is used (unused slots load zeros and score -inf).
//
// wgmma fragments (warp wi of a warpgroup holds rows 16wi..16wi+15; g = lane / 4, c = lane % 4): accumulator d[4j + e]
// is (row g, column 8j + 2c + e) for e < 2 and (row g + 8, column 8j + 2c + e - 2) for e >= 2; an A operand in registers
// is mma.sync's m16n8k16 A fragment of the warp's 16 rows.

#define MSW_LORA 512
#define MSW_ROPE 64
#define MSW_KW 576                                      // lora + rope: one key row
#define MSW_PIECES 9                                    // 64-column pieces of a row
#define MSW_KSTEPS 36                                   // k16 steps over a row
#define MSW_TILE 32                                     // key rows per tile
#define MSW_TILE_BYTES (MSW_PIECES * MSW_TILE * 128)    // 36,864
#ifndef MSW_QK_STAGES
#define MSW_QK_STAGES 6                                 // MlaSparseWarpgroup.QkStages
#endif
#ifndef MSW_PV_STAGES
#define MSW_PV_STAGES 5                                 // MlaSparseWarpgroup.PvStages
#endif
#define MSW_PV_V_BYTES (4 * MSW_TILE * 128)             // half of a tile's latent rows (256 columns): 16,384
#define MSW_PV_STAGE_BYTES (MSW_PV_V_BYTES + 128 * MSW_TILE * 2)   // + their probabilities for 128 heads: 24,576
static_assert(MSW_QK_STAGES >= 3 && MSW_PV_STAGES >= 3, "the rings run ahead by stages - 2 tiles");
#define MSW_Q_STRIDE 1168                               // Q staging rows: 1152 + 16 bytes, so ldmatrix rows miss each other's banks
static_assert(128 * MSW_Q_STRIDE <= MSW_QK_STAGES * MSW_TILE_BYTES, "Q staging lives in the score kernel's ring");
// dynamic shared bytes (1 KiB alignment slack first)
#define MSW_QK_SHARED (1024 + MSW_QK_STAGES * (MSW_TILE_BYTES + 16 + MSW_TILE * 4))
#define MSW_PV_SHARED (1024 + MSW_PV_STAGES * (MSW_PV_STAGE_BYTES + 16))

extern __shared__ u8 msw_smem[];

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

// d (64 x 32) (+)= A (64 x 16, registers) * B (32 keys x 16, shared, K-major)^T
__device__ __forceinline__ void msw_mma_n32(float (&d)[16], const u32 (&a)[4], u64 db, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %21, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, {%16, %17, %18, %19}, %20, p, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate));
}

// The key slots one block reads: slots [j0, j1) of query t, each naming a cache row (indices[t, j], or j itself without
// indices: keys 0..pos0 + t); a slot past j1 or with a negative index is unused.
struct MswSlots
{
    const int* idx;   // the query's index row, or null
    int j0, j1;

    __device__ __forceinline__ int row(int j) const { return j >= j1 ? -1 : idx != nullptr ? __ldg(idx + j) : j; }
    __device__ __forceinline__ int tiles() const { return j1 > j0 ? (j1 - j0 + MSW_TILE - 1) / MSW_TILE : 0; }
};

__device__ __forceinline__ MswSlots msw_slots(const int* indices, int indexWidth, int pos0, int t, int split, int splitSlots)
{
    MswSlots s;
    s.idx = indices != nullptr ? indices + (i64)t * indexWidth : nullptr;
    const int count = indices != nullptr ? indexWidth : pos0 + t + 1;
    s.j0 = split * splitSlots;
    s.j1 = min(s.j0 + splitSlots, count);
    return s;
}

// Cache row `row` (-1: unused, zeros) into row tid / 8 of a key tile, 16-byte unit tid % 8 of each 64-column piece, by
// cp.async that arrives on the stage's full barrier when it lands; the slot's used flag is a plain store, released by
// a plain arrive of the thread that wrote it (full counts 256 + 32 arrivals).
__device__ __forceinline__ void msw_load_tile(u32 tile, u32 full, int* used, const u16* __restrict__ lat,
    const u16* __restrict__ rope, int row, int tid)
{
    const int r = tid >> 3, u = tid & 7;
    const bool ok = row >= 0;
    const u16* const lrow = lat + (i64)(ok ? row : 0) * MSW_LORA + u * 8;
    const u16* const rrow = rope + (i64)(ok ? row : 0) * MSW_ROPE + u * 8;
    const u32 dst = tile + r * 128 + ((u ^ (r & 7)) << 4);
#ifndef MSW_DIAG_NO_LOAD   // lab switches (MSW_DIAG_*): leave a stage of the work out to time the rest
#pragma unroll
    for (int p = 0; p < MSW_PIECES; p++)
        cp_async16(dst + p * (MSW_TILE * 128), p < MSW_PIECES - 1 ? lrow + p * 64 : rrow, ok ? 16 : 0);
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(full) : "memory");
#else
    mbar_arrive(full);
#endif
    if (u == 0)
    {
        used[r] = ok ? 1 : 0;
        mbar_arrive(full);
    }
}

#endif   // __CUDA_ARCH_FEAT_SM90_ALL

// ------------------------------------------------------------------------------------------------------------------
// mla_sparse_qk_wg: grid (ceil(heads / 128), splits, T), block 256, one block per SM, MSW_QK_SHARED bytes.
// scores [T, heads, slotsPad] = (qa . key) * scale, fp32; -inf for unused slots and for every slot of the split's
// range up to slotsPad that names no key (so mla_abs_prob can read whole rows).
// qa [T, heads, 576] bf16 bits; latent [*, 512] and ropeKeys [*, 64] bf16 bits; indices [T, indexWidth] or null (keys
// 0..pos0 + t). Warpgroup w holds heads 64w..64w+63 of the block's 128 as A registers (36 k-steps x 4, loaded once by
// ldmatrix from a staging copy) and multiplies each 32-key tile on m64n32k16, then stores the tile's scores (while
// the other warpgroup multiplies). The ring runs MSW_QK_STAGES - 2 tiles
// ahead; a stage is refilled once all 8 warps have released it (empty barrier, one arrival per warp).
// ------------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(256, 1)
mla_sparse_qk_wg(const u16* __restrict__ qa, const u16* __restrict__ latent, const u16* __restrict__ ropeKeys,
                 const int* __restrict__ indices, float* __restrict__ scores, int indexWidth, int pos0, int heads,
                 int slotsPad, int splitSlots, float scale)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    constexpr int ST = MSW_QK_STAGES;
    const u32 raw = smem_addr(msw_smem);
    const u32 ring = (raw + 1023u) & ~1023u;
    const u32 full = ring + ST * MSW_TILE_BYTES, empty = full + 8 * ST;
    int* const usedAll = reinterpret_cast<int*>(msw_smem + (empty + 8 * ST - raw));   // [ST][MSW_TILE]

    const int t = blockIdx.z, split = blockIdx.y, hb = blockIdx.x * 128;
    const int tid = threadIdx.x, lane = tid & 31, wg = tid >> 7, wi = (tid >> 5) & 3, g = lane >> 2, c = lane & 3;
    const MswSlots slots = msw_slots(indices, indexWidth, pos0, t, split, splitSlots);
    const int nt = slots.tiles();

    // Q rows (heads past the end as zeros) through the ring's space into A registers
    for (int e = tid; e < 128 * (MSW_KW / 8); e += 256)
    {
        const int r = e / (MSW_KW / 8), p = e - r * (MSW_KW / 8);
        const bool ok = hb + r < heads;
        cp_async16(ring + r * MSW_Q_STRIDE + p * 16, qa + ((i64)t * heads + (ok ? hb + r : 0)) * MSW_KW + p * 8, ok ? 16 : 0);
    }
    cp_async_commit();
    if (tid == 0)
    {
        mbar_init_ring<256 + 32>(full, ST);   // cp.async arrivals + the used flags' plain arrivals (msw_load_tile)
        mbar_init_ring<8>(empty, ST);
        mbar_init_fence();
    }
    asm volatile("cp.async.wait_all;" ::: "memory");
    __syncthreads();
    u32 qf[MSW_KSTEPS][4];
    {
        const int r = 64 * wg + 16 * wi + (lane & 7) + 8 * ((lane >> 3) & 1), k = 8 * (lane >> 4);
#pragma unroll
        for (int kk = 0; kk < MSW_KSTEPS; kk++)
            ldsm_x4(ring + r * MSW_Q_STRIDE + (16 * kk + k) * 2, qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3]);
    }
    __syncthreads();   // the staging copy is dead: the ring takes its place

    const int r8 = tid >> 3;   // the tile row this thread loads
    int nextRow = slots.row(slots.j0 + r8);   // its row in the next tile refill loads: indices are read a refill early
    auto refill = [&](int it)   // tile it into stage it % ST, after its previous occupant (tile it - ST) was released
    {
        if (it >= nt) return;
        const int s = it % ST, row = nextRow;
        nextRow = slots.row(slots.j0 + (it + 1) * MSW_TILE + r8);
        if (it >= ST) mbar_wait(empty + 8 * s, ((it / ST) - 1) & 1);
        msw_load_tile(ring + s * MSW_TILE_BYTES, full + 8 * s, usedAll + s * MSW_TILE, latent, ropeKeys, row, tid);
    };
    auto issue = [&](int it, float (&acc)[16])   // S of tile it (async)
    {
        const int s = it % ST;
        mbar_wait(full + 8 * s, (it / ST) & 1);
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // cp.async writes -> visible to wgmma
        const u32 kb = ring + s * MSW_TILE_BYTES;
        wgmma_pin(acc);
        wgmma_fence();
#ifndef MSW_DIAG_NO_MMA
#pragma unroll
        for (int kk = 0; kk < MSW_KSTEPS; kk++)
            msw_mma_n32(acc, qf[kk], wgmma_desc_sw128(kb + (kk >> 2) * (MSW_TILE * 128) + (kk & 3) * 32), kk);
#endif
        wgmma_commit();
    };
    const int hA = hb + 64 * wg + 16 * wi + g;   // this thread's rows hA and hA + 8
    float* const rowA = scores + ((i64)t * heads + min(hA, heads - 1)) * slotsPad;
    float* const rowB = scores + ((i64)t * heads + min(hA + 8, heads - 1)) * slotsPad;
    auto store = [&](int it, float (&acc)[16])   // tile it's S is complete: release its stage, store its scores
    {
        wgmma_pin(acc);
        const int s = it % ST;
        const int* const used = usedAll + s * MSW_TILE;
        float xA[8], xB[8];
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                const bool ok = used[8 * j + 2 * c + e] != 0;
                xA[2 * j + e] = ok ? acc[4 * j + e] * scale : SS_NEG_INF;
                xB[2 * j + e] = ok ? acc[4 * j + 2 + e] * scale : SS_NEG_INF;
            }
        __syncwarp();
        if (lane == 0) mbar_arrive(empty + 8 * s);
        // a warp's stores cover 8 rows x 32 bytes per jj
        const int j = slots.j0 + it * MSW_TILE + 2 * c;
#ifdef MSW_DIAG_NO_STORE
        if (xA[0] != 12345.0f) return;
#endif
        if (hA < heads)
#pragma unroll
            for (int jj = 0; jj < 4; jj++) *reinterpret_cast<float2*>(rowA + j + 8 * jj) = make_float2(xA[2 * jj], xA[2 * jj + 1]);
        if (hA + 8 < heads)
#pragma unroll
            for (int jj = 0; jj < 4; jj++) *reinterpret_cast<float2*>(rowB + j + 8 * jj) = make_float2(xB[2 * jj], xB[2 * jj + 1]);
    };

    // one accumulator and wait<0> per tile: ptxas serialises every wgmma when a second accumulator set is read
    // behind a wait<1> (C7514, also with a loop that keeps the same groups pending on every path: 4.07 against
    // 3.64 ms); the two warpgroups drift apart instead, so one stores while the other multiplies
    for (int it = 0; it < ST - 2; it++) refill(it);
    float acc[16];
#pragma unroll
    for (int i = 0; i < 16; i++) acc[i] = 0.0f;
    for (int it = 0; it < nt; it++)
    {
        refill(it + ST - 2);
        issue(it, acc);
        wgmma_wait<0>();
        store(it, acc);
    }

    // the rest of the split's range up to slotsPad names no key (rows without indices end at their causal count)
    const int from = slots.j0 + nt * MSW_TILE, to = min(slots.j0 + splitSlots, slotsPad);
    for (int e = tid; e < 128 * max(to - from, 0); e += 256)
    {
        const int r = e / (to - from), h = hb + r;
        if (h < heads) scores[((i64)t * heads + h) * slotsPad + from + (e - r * (to - from))] = SS_NEG_INF;
    }
#else
    __trap();   // MlaLauncher launches it on sm_90a only
#endif
}

// ------------------------------------------------------------------------------------------------------------------
// mla_sparse_pv_wg: grid (2 * ceil(heads / 128), splits, T), block 256, one block per SM, MSW_PV_SHARED bytes.
// Block (hb, dh) of query t over key split blockIdx.y: latent columns 256dh..256dh+255 of heads hb..hb+127, O += P V
// per 32-key tile on m64n256k16, warpgroup w taking heads hb + 64w..; P (prob [T, heads, slotsPad], bf16 bits from
// mla_abs_prob) goes in as A registers, V is the tile's latent rows (this block's half of them) read N-major. Splitting
// the columns rather than the heads between the two blocks of a query halves the latent bytes each key costs (a head
// split had both blocks gather whole rows: 3.2 ms against 1.7 ms without the loads, at 4096 x 2048 keys). A stage
// holds the tile's half rows and its 128 x 32 probabilities (rows of 64 bytes, 16-byte unit u of row r at
// u ^ ((r / 2) % 4), so a warp's fragment loads miss each other's banks), both by cp.async on the full barrier; the
// ring runs MSW_PV_STAGES - 2 tiles ahead and a stage is refilled once all 8 warps released it. Each warpgroup queues
// a tile's products before waiting for the previous tile's; apart from sharing the ring, the warpgroups need nothing
// from each other. Unused slots have p = 0 and zero rows.
// Output: one split -> o_lat = bf16(O) as bits into olatBits [T, heads, 512] when given, else as bf16 values in fp32
// into opart [T, heads, 512]; several -> fp32 partial sums opart [T, splits, heads, 512] for mla_abs_combine.
// ------------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(256, 1)
mla_sparse_pv_wg(const u16* __restrict__ latent, const int* __restrict__ indices, const u16* __restrict__ prob,
                 float* __restrict__ opart, u16* __restrict__ olatBits, int indexWidth, int pos0, int heads, int slotsPad,
                 int splitSlots)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    constexpr int ST = MSW_PV_STAGES;
    const u32 raw = smem_addr(msw_smem);
    const u32 ring = (raw + 1023u) & ~1023u;
    const u32 full = ring + ST * MSW_PV_STAGE_BYTES, empty = full + 8 * ST;

    const int t = blockIdx.z, split = blockIdx.y, splits = gridDim.y, hb = (blockIdx.x >> 1) * 128, dh = blockIdx.x & 1;
    const int tid = threadIdx.x, lane = tid & 31, wg = tid >> 7, wi = (tid >> 5) & 3, g = lane >> 2, c = lane & 3;
    const MswSlots slots = msw_slots(indices, indexWidth, pos0, t, split, splitSlots);
    const int nt = slots.tiles();
    if (tid == 0)
    {
        mbar_init_ring<256>(full, ST);
        mbar_init_ring<8>(empty, ST);
        mbar_init_fence();
    }
    __syncthreads();

    const int vr = tid >> 3, vu = tid & 7;     // this thread's latent row and 16-byte unit of each piece
    const int pr = tid >> 2, pu = tid & 3;     // its probability rows pr and pr + 64, and 16-byte unit
    const u16* const prowA = prob + ((i64)t * heads + min(hb + pr, heads - 1)) * slotsPad + 8 * pu;
    const u16* const prowB = prob + ((i64)t * heads + min(hb + pr + 64, heads - 1)) * slotsPad + 8 * pu;
    int nextRow = slots.row(slots.j0 + vr);   // this thread's row in the next tile refill loads (read a refill early)
    auto refill = [&](int it)   // tile it into stage it % ST, after its previous occupant (tile it - ST) was released
    {
        if (it >= nt) return;
        const int s = it % ST, j = slots.j0 + it * MSW_TILE, row = nextRow;
        nextRow = slots.row(j + MSW_TILE + vr);
        if (it >= ST) mbar_wait(empty + 8 * s, ((it / ST) - 1) & 1);
        const u32 stage = ring + s * MSW_PV_STAGE_BYTES, ps = stage + MSW_PV_V_BYTES;
#ifndef MSW_DIAG_NO_LOAD
        const u16* const lrow = latent + (i64)(row >= 0 ? row : 0) * MSW_LORA + 256 * dh + vu * 8;
        const u32 dst = stage + vr * 128 + ((vu ^ (vr & 7)) << 4);
#pragma unroll
        for (int p = 0; p < 4; p++) cp_async16(dst + p * (MSW_TILE * 128), lrow + p * 64, row >= 0 ? 16 : 0);
        cp_async16(ps + pr * 64 + ((pu ^ ((pr >> 1) & 3)) << 4), prowA + j, hb + pr < heads ? 16 : 0);
        cp_async16(ps + (pr + 64) * 64 + ((pu ^ ((pr >> 1) & 3)) << 4), prowB + j, hb + pr + 64 < heads ? 16 : 0);
        asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(full + 8 * s) : "memory");
#else
        (void)row;
        (void)ps;
        mbar_arrive(full + 8 * s);
#endif
    };

    float o[128];
#pragma unroll
    for (int i = 0; i < 128; i++) o[i] = 0.0f;
    wgmma_pin(o);   // zeroed before any wgmma is in flight: ptxas serialises wgmma around accumulator writes (C7515)
    for (int it = 0; it < ST - 2; it++) refill(it);
    const int rA = 64 * wg + 16 * wi + g, rB = rA + 8;   // this thread's P rows (heads hb + rA, hb + rB)
    // tile it's P as A fragments of k-steps kk = 0, 1: a0 (row g, keys 16kk + 2c..), a1 (row g + 8), a2 / a3 (keys + 8)
    auto fragments = [&](int it, u32 (&a)[2][4])
    {
        const int s = it % ST;
        const u32 ps = ring + s * MSW_PV_STAGE_BYTES + MSW_PV_V_BYTES;
        mbar_wait(full + 8 * s, (it / ST) & 1);
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // cp.async writes -> visible to wgmma
#pragma unroll
        for (int kk = 0; kk < 2; kk++)
#pragma unroll
            for (int half = 0; half < 2; half++)
            {
                const int unit = 2 * kk + half, byte = 4 * c;
                asm volatile("ld.shared.b32 %0, [%1];" : "=r"(a[kk][2 * half]) : "r"(ps + rA * 64 + ((unit ^ ((rA >> 1) & 3)) << 4) + byte) : "memory");
                asm volatile("ld.shared.b32 %0, [%1];" : "=r"(a[kk][2 * half + 1]) : "r"(ps + rB * 64 + ((unit ^ ((rB >> 1) & 3)) << 4) + byte) : "memory");
            }
    };
    auto multiply = [&](int it, const u32 (&a)[2][4])   // O += P V of tile it (async)
    {
        const u32 stage = ring + (it % ST) * MSW_PV_STAGE_BYTES;
        wgmma_fence();
#ifndef MSW_DIAG_NO_MMA
#pragma unroll
        for (int kk = 0; kk < 2; kk++) wgmma_bf16_mn(o, a[kk], wgmma_desc_sw128(stage + kk * (16 * 128), MSW_TILE * 128, 1024));
#endif
        wgmma_commit();
    };
    auto release = [&](int it)   // this warp is done with tile it's stage
    {
        __syncwarp();
        if (lane == 0) mbar_arrive(empty + 8 * (it % ST));
    };
    // the next tile's fragments load while this tile's products run, and a tile's stage is released once the products
    // of the tile after it are queued (wait<1>): 2.72 against 3.21 ms with a wait<0> per tile
    u32 fa[2][4], fb[2][4];   // (the accumulator is the same chain, so only the fragments need two sets)
    if (nt > 0) fragments(0, fa);
    for (int it = 0; it < nt; it += 2)
    {
        multiply(it, fa);
        if (it > 0)
        {
            wgmma_wait<1>();
            release(it - 1);
        }
        refill(it + ST - 2);
        if (it + 1 >= nt) break;
        fragments(it + 1, fb);
        multiply(it + 1, fb);
        wgmma_wait<1>();
        release(it);
        refill(it + ST - 1);
        if (it + 2 < nt) fragments(it + 2, fa);
    }
    wgmma_wait<0>();
    wgmma_pin(o);

    const int col = 256 * dh + 2 * c;
#pragma unroll
    for (int half = 0; half < 2; half++)
    {
        const int h = hb + (half ? rB : rA);
        if (h >= heads) continue;
        if (splits == 1 && olatBits != nullptr)
        {
            u16* const row = olatBits + ((i64)t * heads + h) * MSW_LORA + col;
#pragma unroll
            for (int jj = 0; jj < 32; jj++)
                *reinterpret_cast<u32*>(row + 8 * jj) = pack_bf16x2(o[4 * jj + 2 * half], o[4 * jj + 2 * half + 1]);
        }
        else
        {
            float* const row = opart + (((i64)t * splits + split) * heads + h) * MSW_LORA + col;
#pragma unroll
            for (int jj = 0; jj < 32; jj++)
            {
                const float x = o[4 * jj + 2 * half], y = o[4 * jj + 2 * half + 1];
                *reinterpret_cast<float2*>(row + 8 * jj) = splits == 1 ? make_float2(bf16_round(x), bf16_round(y)) : make_float2(x, y);
            }
        }
    }
#else
    __trap();   // MlaLauncher launches it on sm_90a only
#endif
}
