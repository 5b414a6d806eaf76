using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// fp8_gemm.cu: y = dequant(a8)·dequant(W8)ᵀ with 128-wide block scales (the reference fp8_gemm). Decode-sized inputs
/// go on sm_89+ to the tensor-core GEMV of fp8_gemv_tc.cu (<see cref="Fp8GemvTensorCores"/>, under
/// <see cref="WarpgroupMinRows"/> rows), elsewhere (1..<see cref="GemvRowLimit"/> rows) to the streaming GEMV
/// fp8_gemv_rR, which reads the weight once, 16 codes per load; more rows go to fp8_gemm_tc (FP8 mma.sync tensor cores,
/// fp32 partial per K block), on Hopper from <see cref="WarpgroupMinRows"/> rows to fp8_gemm_wg.cu's f16 warpgroup
/// kernels (<see cref="Warpgroup"/>), and shapes none can load 16 codes at a time go to the plain tiled fp8_gemm. All
/// keep the reference's between-block order. <paramref name="scratch"/> lends the warpgroup kernels their widened
/// activations.
/// </summary>
public sealed class Fp8GemmLauncher(KernelLibrary kernels, CudaStream stream, Func<DType, long, CudaBuffer> scratch)
    : KernelLauncher(kernels, stream, "fp8_gemm.cu")
{
    private const int Tile = 64;                       // fp8_gemm: 64 x 64 tiles, the fallback for unaligned shapes
    private const int TcTileM = 64, TcTileN = 128;     // fp8_gemm_tc: TC_M, TC_N

    /// <summary>Most rows the GEMV takes (it has a kernel per row count, fp8_gemv_r1..r8).</summary>
    public const int GemvMaxRows = 8;

    /// <summary>
    /// Rows up to which the SIMT GEMV fp8_gemv_rR beats fp8_gemm_tc for this In, where the tensor-core GEMV does not run
    /// (H200, round-7 kernel lab): the GEMV's cost grows with rows · weight bytes, the tensor-core kernel's is flat for
    /// few rows but walks K serially per block, so long rows favour the GEMV. In 7168: GEMV at 8 rows 55 µs vs 98; In
    /// 2048: 20 vs 28 at 4 rows, 31 vs 28 at 8; In 1536: 32 vs 34 at 2 rows, 48 vs 34 at 4. (The CUDA-graph timings of
    /// round 11 agree at 8 rows: 54.8 against 75.7 µs at In 7168, 33.9 against 23.4 at In 2048.)
    /// </summary>
    public static int GemvRowLimit(int inFeatures) => inFeatures >= 4096 ? GemvMaxRows : inFeatures >= 2048 ? 4 : 2;

    /// <summary>
    /// Rows from which fp8_gemm_wg (with its widening pass) takes over from fp8_gemm_tc. H200 kernel lab
    /// (benchmarks/results/2026-11-29-h200-round9-fp8-gemm-small-rows-lab.txt), kernel alone against fp8_gemm_tc at 64
    /// rows: out 2048 x in 7168 0.066 / 0.085 ms, 1536 x 7168 0.064 / 0.081, 7168 x 16384 0.140 / 0.181, 576 x 7168
    /// 0.065 / 0.082, 7168 x 2048 0.050 / 0.055, 24576 x 1536 0.051 / 0.054; the widening adds a few µs. At 4096 rows
    /// 2.2-2.5x.
    /// </summary>
    public const int WarpgroupMinRows = 64;

    private const int WarpgroupTileRows = 128;   // fp8_gemm_wg
    private const string WarpgroupFile = "fp8_gemm_wg.cu";

    /// <summary>WG_STAGES in fp8_gemm_wg.cu: K blocks in its ring.</summary>
    private const int WarpgroupStages = 4;

    /// <summary>
    /// Dynamic shared bytes of the warpgroup kernels, WG_SHARED(TM) in fp8_gemm_wg.cu: 1 KiB alignment slack, then per
    /// stage the activations (f16, TM x 256 B), the W codes (128 x 128 B) and TM a_scales, rounded to 1 KiB, and two
    /// mbarriers.
    /// </summary>
    internal static int WarpgroupShared(int tileRows) =>
        1024 + WarpgroupStages * ((tileRows * 256 + 128 * 128 + tileRows * 4 + 1023) / 1024 * 1024 + 16);

    private readonly Fp8GemvTensorCores _gemvTensorCores = new(kernels, stream);
    private bool? _warpgroup;
    private readonly HashSet<string> _sharedRaised = [];   // kernels whose dynamic shared limit is raised already

    /// <summary>
    /// Whether products of <see cref="WarpgroupMinRows"/>+ rows and prefill-sized expert groups run on fp8_gemm_wg.cu's
    /// kernels (FP8 codes widened to f16 for Hopper's warpgroup tensor cores, as exact as the mma.sync kernels): where the
    /// module is built for sm_90a (Hopper, NVRTC 12+) and compiles, unless SEEKSHARP_FP8_GEMM=mma keeps the mma.sync
    /// kernels (for A/B timing).
    /// </summary>
    public bool Warpgroup => _warpgroup ??= Environment.GetEnvironmentVariable("SEEKSHARP_FP8_GEMM") != "mma"
        && Kernels.BuildsArchSpecific && WarpgroupModuleLoads();

    private bool WarpgroupModuleLoads() =>
        Kernels.TryLoadOptional("fp8_gemm: the warpgroup kernels", "the mma.sync kernels", () => Kernels.Module(WarpgroupFile), out _);

    /// <summary>
    /// fp8_widen_codes: e4m3 codes [rows, In] -> f16 codes [rows, ceil(In/128) * 128] in the warpgroup kernels' K order,
    /// into a scratch buffer the caller disposes after queueing the product.
    /// </summary>
    private CudaBuffer Widen(CudaBuffer codes, int rows, int inFeatures)
    {
        var kBlocks = ActQuant.BlockCount(inFeatures);
        var wide = scratch(DType.F16, (long)rows * kBlocks * 128);   // [rows, kBlocks * 128]
        var units = (long)rows * kBlocks * 8;
        var blocks = (uint)Math.Min((units + 255) / 256, (long)Kernels.Context.MultiprocessorCount * 16);
        Kernels.Module(WarpgroupFile).Function("fp8_widen_codes").Launch(Stream, new Dim3(Math.Max(blocks, 1u)), new Dim3(256), 0,
            new KernelArgs().Ptr(codes.Pointer).Int(rows).Int(inFeatures).Ptr(wide.Pointer));
        return wide;
    }

    private void LaunchWarpgroup(string kernel, Dim3 grid, KernelArgs args, int tileRows)
    {
        var function = Kernels.Module(WarpgroupFile).Function(kernel);
        var shared = WarpgroupShared(tileRows);
        if (_sharedRaised.Add(kernel)) function.SetMaxDynamicSharedBytes(shared);
        function.Launch(Stream, grid, new Dim3(256), shared, args);
    }

    private const int GemvWarps = 8;                   // GEMV_WARPS in fp8_gemm.cu
    private readonly int[] _gemvSharedLimit = new int[GemvMaxRows + 1];   // raised dynamic shared limit per kernel, 0 = default

    /// <summary>
    /// codes [rows, In] dense e4m3, scales [rows, ceil(In/128)]; weight FP8 [Out, In] with its block scales; y a strided
    /// F32 view [rows, Out] in fp32. With <paramref name="roundToBf16"/> the kernels that can round their output to
    /// bf16 do so (the GEMV); returns whether y was rounded, so the caller rounds only when it was not.
    /// </summary>
    public bool Multiply(CudaBuffer codes, CudaBuffer scales, CudaLinear weight, MatrixView y, bool roundToBf16 = false)
    {
        var op = $"fp8_gemm {weight.Name}";
        LaunchChecks.That(weight.DType == DType.F8E4M3 && weight.Scales is not null, op, $"weight {weight} must be F8E4M3 with scales");
        var yb = LaunchChecks.View(y, DType.F32, op, nameof(y));
        LaunchChecks.That(y.Cols == weight.Out, op, $"y has {y.Cols} columns, the weight {weight.Out} outputs");
        var rows = y.Rows;
        LaunchChecks.Buffer(codes, DType.U8, (long)rows * weight.In, op, nameof(codes));
        LaunchChecks.Buffer(scales, DType.F32, (long)rows * ActQuant.BlockCount(weight.In), op, nameof(scales));
        var args = new KernelArgs().Ptr(codes.Pointer).Ptr(scales.Pointer).Ptr(weight.Data.Pointer).Ptr(weight.Scales!.Pointer)
            .Ptr(yb.At(y.Offset));
        if (Aligned16(codes, weight) && rows < WarpgroupMinRows && _gemvTensorCores.Fits(Math.Min(rows, Fp8GemvTensorCores.MaxRows), weight.In))
        {
            // tensor cores, K blocks in parallel; past 32 rows (decode buckets 40..56) one launch per 32-row slice, which
            // still reads the weight faster than fp8_gemm_tc's out/128 blocks
            var kBlocks = ActQuant.BlockCount(weight.In);
            for (var r0 = 0; r0 < rows; r0 += Fp8GemvTensorCores.MaxRows)
                _gemvTensorCores.Multiply(codes.At((long)r0 * weight.In), scales.At((long)r0 * kBlocks), weight.Data.Pointer,
                    weight.Scales!.Pointer, yb.At(y.Offset + (long)r0 * y.Stride), Math.Min(Fp8GemvTensorCores.MaxRows, rows - r0),
                    weight.Out, weight.In, y.Stride, roundToBf16);
            return roundToBf16;
        }
        if (GemvShared(codes, weight, rows) is { } shared)
        {
            // one warp per output column (grid-strided when the grid is capped), the rows' activations in shared memory
            var kernel = $"fp8_gemv_r{rows}";
            RaiseSharedLimit(kernel, rows, shared);
            Launch(kernel, new Dim3((uint)GemvBlocks(weight.Out, shared, Kernels.Context.MultiprocessorCount,
                    Kernels.Context.SharedMemoryPerMultiprocessor, GemvRegisters(rows))), new Dim3(32 * GemvWarps),
                args.Int(weight.Out).Int(weight.In).Int(y.Stride).Int(roundToBf16 ? 1 : 0), shared);
            return roundToBf16;
        }
        if (Aligned16(codes, weight) && rows >= WarpgroupMinRows && Warpgroup)   // 128 outputs x 128 rows, two warpgroups
        {
            using var wide = Widen(codes, rows, weight.In);
            LaunchWarpgroup("fp8_gemm_wg", new Dim3(Dim3.Blocks(weight.Out, TcTileN), Dim3.Blocks(rows, WarpgroupTileRows)),
                new KernelArgs().Ptr(wide.Pointer).Ptr(scales.Pointer).Ptr(weight.Data.Pointer).Ptr(weight.Scales!.Pointer)
                    .Ptr(yb.At(y.Offset)).Int(rows).Int(weight.Out).Int(weight.In).Int(y.Stride), WarpgroupTileRows);
            return false;
        }
        args.Int(rows).Int(weight.Out).Int(weight.In).Int(y.Stride);
        if (Aligned16(codes, weight))   // tensor cores: 64 rows x 128 outputs per block
            Launch("fp8_gemm_tc", new Dim3(Dim3.Blocks(weight.Out, TcTileN), Dim3.Blocks(rows, TcTileM)), new Dim3(256), args);
        else
            Launch("fp8_gemm", new Dim3(Dim3.Blocks(weight.Out, Tile), Dim3.Blocks(rows, Tile)), new Dim3(256), args);
        return false;
    }

    /// <summary>
    /// Rows per tile of the grouped kernels for <paramref name="pairs"/> token·pick pairs over <paramref name="experts"/>:
    /// 16 (fp8_gemm_grouped_m16) while experts average at most 16 rows (decode), 128 (fp8_gemm_grouped_wg128) from 96 on
    /// the warpgroup kernels, else 64 (fp8_gemm_grouped_wg, or fp8_gemm_grouped_m64 off Hopper). H200 kernel lab, 256
    /// experts: at 128 rows per expert 128-row tiles took 9.6 ms against 10.2, at 64 rows 6.5 against 6.0.
    /// </summary>
    public int GroupedTileRows(int pairs, int experts)
    {
        var used = Math.Max(1, Math.Min(experts, pairs));
        if (pairs <= 16 * used) return 16;
        return Warpgroup && pairs >= 96L * used ? 128 : 64;
    }

    private const int GroupedTileN = 128;
    private const int GroupedShared = 72 * 1024;   // m16: 4 stages x (16 + 128) rows x 128 B; m64: 3 x (64 + 128) x 128 B

    /// <summary>
    /// Expert GEMMs of every tile in <paramref name="tiles"/> (I32 [maxTiles, 4]: expert, first row, row end, unused;
    /// the first *<paramref name="tileCount"/> are valid, written by moe_plan): y[r, :] = bf16 of the FP8 product of A row
    /// r with the tile's expert's matrix <paramref name="first"/> (y columns 0 .. firstOut) and, when
    /// <paramref name="second"/> differs from it, matrix <paramref name="second"/> (columns firstOut ..
    /// <paramref name="yCols"/>). A row r is codes/scales row rowTokens[r] when <paramref name="rowTokens"/> is set, else r.
    /// codes U8 [codeRows, inFeatures]; scales F32 [codeRows, ceil(inFeatures/128)]; y BF16 [rows, yCols].
    /// </summary>
    public void MultiplyGrouped(int tileRows, CudaBuffer codes, int codeRows, CudaBuffer scales, CudaBuffer? rowTokens, CudaBuffer tiles,
        CudaBuffer tileCount, int maxTiles, CudaGroupedExperts experts, ExpertMatrix first, ExpertMatrix second, int firstOut,
        int yCols, int inFeatures, CudaBuffer y)
    {
        const string op = "fp8_gemm_grouped";
        LaunchChecks.That(inFeatures % 16 == 0 && codes.Pointer % 16 == 0, op, $"In {inFeatures} must be a multiple of 16 with 16-byte aligned codes");
        LaunchChecks.That(maxTiles is > 0 and <= 65535, op, $"{maxTiles} tiles do not fit one grid column");
        LaunchChecks.That(firstOut > 0 && firstOut <= yCols && (first != second || firstOut == yCols), op,
            $"matrix {first} has {firstOut} of the {yCols} output columns");
        LaunchChecks.That(tileRows is 16 or 64 or 128 && (tileRows != 128 || Warpgroup), op, $"no grouped kernel takes {tileRows}-row tiles here");
        LaunchChecks.Buffer(codes, DType.U8, (long)codeRows * inFeatures, op, nameof(codes));
        LaunchChecks.Buffer(scales, DType.F32, (long)codeRows * ActQuant.BlockCount(inFeatures), op, nameof(scales));
        var columnTiles = Dim3.Blocks(firstOut, GroupedTileN) + (first == second ? 0 : Dim3.Blocks(yCols - firstOut, GroupedTileN));
        var grid = new Dim3(columnTiles, (uint)maxTiles);
        KernelArgs Args(CudaBuffer a) => new KernelArgs().Ptr(a.Pointer).Ptr(scales.Pointer).Ptr(rowTokens?.Pointer ?? 0)
            .Ptr(tiles.Pointer).Ptr(tileCount.Pointer).Ptr(experts.Table.Pointer).Int((int)first).Int((int)second).Int(firstOut)
            .Int(yCols).Int(inFeatures).Ptr(y.Pointer);
        if (tileRows > 16 && Warpgroup)   // f16 warpgroup tensor cores, from widened codes
        {
            using var wide = Widen(codes, codeRows, inFeatures);
            LaunchWarpgroup(tileRows == 128 ? "fp8_gemm_grouped_wg128" : "fp8_gemm_grouped_wg", grid, Args(wide), tileRows);
            return;
        }
        var kernel = tileRows == 64 ? "fp8_gemm_grouped_m64" : "fp8_gemm_grouped_m16";
        if (_sharedRaised.Add(kernel)) Function(kernel).SetMaxDynamicSharedBytes(GroupedShared);
        Launch(kernel, grid, new Dim3(256), Args(codes), GroupedShared);
    }

    /// <summary>Both fast kernels load 16 codes at a time: In a multiple of 16, codes and weight 16-byte aligned.</summary>
    private static bool Aligned16(CudaBuffer codes, CudaLinear weight) =>
        weight.In % 16 == 0 && codes.Pointer % 16 == 0 && weight.Data.Pointer % 16 == 0;

    /// <summary>
    /// The GEMV's dynamic shared bytes (rows · In fp32 activations), or null when it does not apply: more than
    /// <see cref="GemvRowLimit"/> rows, In not a multiple of 16 or codes/weight not 16-byte aligned (it loads 16 codes at
    /// a time), or the activations exceed the block's shared memory.
    /// </summary>
    private int? GemvShared(CudaBuffer codes, CudaLinear weight, int rows)
    {
        if (rows < 1 || rows > GemvRowLimit(weight.In) || !Aligned16(codes, weight)) return null;
        var shared = (long)rows * weight.In * sizeof(float);
        return shared <= Kernels.Context.MaxSharedMemoryPerBlockOptIn ? (int)shared : null;
    }

    /// <summary>
    /// GEMV blocks: one warp per output while every block fits on the GPU at once; past that, as many blocks as stay
    /// resident, each warp taking the same number of outputs (grid-strided). Every block first stages the activations
    /// (rows · In fp32), so a grid of one wave stages them once per resident block instead of once per 8 outputs.
    /// </summary>
    internal static int GemvBlocks(int outputs, int sharedBytes, int multiprocessors, int sharedPerMultiprocessor, int registers)
    {
        var oneEach = (outputs + GemvWarps - 1) / GemvWarps;
        // 2048 threads and 64K registers (allocated per warp in units of 256) per SM; the runtime keeps 1 KiB of shared
        // memory per block
        var perWarpRegisters = (Math.Max(registers, 1) * 32 + 255) / 256 * 256;
        var byRegisters = 65536 / (perWarpRegisters * GemvWarps);
        var perSm = Math.Max(1, Math.Min(Math.Min(8, byRegisters), sharedPerMultiprocessor / (sharedBytes + 1024)));
        var resident = Math.Max(1, multiprocessors) * perSm;
        if (oneEach <= resident) return oneEach;
        var perWarp = (outputs + resident * GemvWarps - 1) / (resident * GemvWarps);
        var warps = (outputs + perWarp - 1) / perWarp;
        return (warps + GemvWarps - 1) / GemvWarps;
    }

    private readonly int[] _gemvRegisters = new int[GemvMaxRows + 1];

    private int GemvRegisters(int rows) =>
        _gemvRegisters[rows] > 0 ? _gemvRegisters[rows] : _gemvRegisters[rows] = Function($"fp8_gemv_r{rows}").Registers();

    private void RaiseSharedLimit(string kernel, int rows, int shared)
    {
        if (shared <= 48 * 1024 || shared <= _gemvSharedLimit[rows]) return;
        // the GEMV kernels have no static shared memory: the whole opt-in limit is theirs, set once
        var limit = Kernels.Context.MaxSharedMemoryPerBlockOptIn;
        Function(kernel).SetMaxDynamicSharedBytes(limit);
        _gemvSharedLimit[rows] = limit;
    }
}
