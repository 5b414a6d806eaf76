using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// fp8_gemv_tc.cu: decode-sized FP8 products (1..<see cref="MaxRows"/> rows a launch) on the tensor cores, the K blocks
/// of an output tile spread over a block's warps and their partials added back in ascending order, so the result equals
/// fp8_gemm_tc's bit for bit. sm_89+ (mma.sync e4m3); <c>SEEKSHARP_FP8_GEMV=simt</c> keeps the fp8_gemv_rR kernels.
/// H200 kernel lab (benchmarks/kernel-lab/fp8_gemv_bench.py, one row): o_proj 7168 x 16384 36 µs against fp8_gemv_r1's
/// 65, 2048 x 7168 6.7 against 11.5, kv_a 576 x 7168 5.7 against 9.9; 32 rows of 2048 x 7168 14 µs against fp8_gemm_tc's
/// 78.
/// </summary>
internal sealed class Fp8GemvTensorCores(KernelLibrary kernels, CudaStream stream)
{
    private const string File = "fp8_gemv_tc.cu";

    /// <summary>Most rows one launch takes (fp8_gemv_tc_r32).</summary>
    public const int MaxRows = 32;

    /// <summary>Longest In: the kernels keep the a_scales of a row in shared memory (GEMV_TC_MAX_KB K blocks).</summary>
    public const int MaxIn = 128 * MaxKBlocks;

    private const int MaxKBlocks = 144;   // GEMV_TC_MAX_KB: In up to 18432 (the dense layers' down projection)
    private const int Warps = 8;          // GEMV_TC_WARPS

    /// <summary>The kernels, by the most rows each takes: name, activation rows RA, outputs a tile (8·NT), K blocks a
    /// unit (KPU), ring stages (D), as instantiated at the end of fp8_gemv_tc.cu.</summary>
    private static readonly Variant[] s_variants =
    [
        new("fp8_gemv_tc_r1", 1, 2, 2, 2),
        new("fp8_gemv_tc_r2", 2, 2, 2, 2),
        new("fp8_gemv_tc_r4", 4, 2, 2, 2),
        new("fp8_gemv_tc_r8", 8, 2, 2, 2),
        new("fp8_gemv_tc_r16", 16, 2, 2, 2),
        new("fp8_gemv_tc_r32", 32, 2, 1, 3),
    ];

    private readonly record struct Variant(string Name, int Rows, int NTiles, int KBlocksPerUnit, int Stages)
    {
        public int TileOutputs => 8 * NTiles;

        /// <summary>GEMV_TC_SHARED: the warps' rings, the partials of a round (double-buffered), the a_scales.</summary>
        public int SharedBytes
        {
            get
            {
                var mTiles = (Rows + 15) / 16;
                var halves = Rows > 8 ? 2 : 1;
                var aLanes = Math.Min(Rows, 8) * 4;
                var stage = NTiles * KBlocksPerUnit * 2 * 32 * 16 + mTiles * halves * KBlocksPerUnit * 2 * aLanes * 16;
                return Warps * Stages * stage + 2 * Warps * KBlocksPerUnit * Rows * TileOutputs * 4 + Rows * MaxKBlocks * 4;
            }
        }
    }

    private bool? _available;
    private readonly HashSet<string> _sharedRaised = [];
    private readonly Dictionary<string, int> _blocksPerSm = [];

    /// <summary>Whether the kernels run here: sm_89+ and the module builds with them in it (an NVRTC older than the GPU
    /// targets an older virtual architecture, where the file compiles to nothing), unless SEEKSHARP_FP8_GEMV=simt.</summary>
    public bool Available => _available ??= kernels.Context.Architecture.Number >= 89
        && Environment.GetEnvironmentVariable("SEEKSHARP_FP8_GEMV") != "simt" && ModuleLoads();

    private bool ModuleLoads() => kernels.TryLoadOptional("fp8_gemv_tc: the tensor-core GEMV kernels", "fp8_gemv_rR and fp8_gemm_tc",
        () => kernels.Module(File).Function(s_variants[0].Name), out _);

    /// <summary>Whether a launch of <paramref name="rows"/> rows over <paramref name="inFeatures"/> inputs fits these
    /// kernels: In up to <see cref="MaxIn"/>, and the kernel's shared memory within the GPU's per-block limit (all of
    /// them on H100 / H200; up to 4 rows where a block gets 99 KiB). The caller has checked 16-byte alignment and
    /// In % 16 == 0.</summary>
    public bool Fits(int rows, int inFeatures) => rows is >= 1 and <= MaxRows && inFeatures is > 0 and <= MaxIn
        && SharedBytes(rows) <= kernels.Context.MaxSharedMemoryPerBlockOptIn && Available;

    /// <summary>The dynamic shared bytes of the kernel taking <paramref name="rows"/> rows (for the CUDA test that checks
    /// it against the kernel's own GEMV_TC_SHARED, written by its _shape twin).</summary>
    internal static int SharedBytes(int rows) => Pick(rows).SharedBytes;

    /// <summary>Outputs a tile of the kernel taking <paramref name="rows"/> rows (for the same test).</summary>
    internal static int TileOutputs(int rows) => Pick(rows).TileOutputs;

    /// <summary>The kernel name that takes <paramref name="rows"/> rows.</summary>
    internal static string KernelName(int rows) => Pick(rows).Name;

    /// <summary>The kernel taking <paramref name="rows"/> rows (a plain loop: it runs on every decode linear's launch).</summary>
    private static Variant Pick(int rows)
    {
        foreach (var variant in s_variants)
            if (rows <= variant.Rows) return variant;
        throw new ArgumentOutOfRangeException(nameof(rows), rows, $"fp8_gemv_tc takes at most {MaxRows} rows a launch");
    }

    /// <summary>
    /// y[rows, out] (fp32, row stride <paramref name="yStride"/>; bf16-rounded when <paramref name="roundToBf16"/>) =
    /// the FP8 product of codes [rows, In] (scales [rows, ceil(In/128)]) with weight [out, In] (w_scales
    /// [ceil(out/128), ceil(In/128)]). Pointers are device addresses; rows at most <see cref="MaxRows"/>.
    /// </summary>
    public void Multiply(nint codes, nint scales, nint weight, nint weightScales, nint y, int rows, int outFeatures,
        int inFeatures, int yStride, bool roundToBf16)
    {
        var variant = Pick(rows);
        var module = kernels.Module(File);
        var function = module.Function(variant.Name);
        var shared = variant.SharedBytes;
        if (!_sharedRaised.Contains(variant.Name))
        {
            function.SetMaxDynamicSharedBytes(shared);
            _sharedRaised.Add(variant.Name);
        }
        var tiles = (outFeatures + variant.TileOutputs - 1) / variant.TileOutputs;
        var grid = Math.Min(tiles, BlocksPerSm(variant, function) * kernels.Context.MultiprocessorCount);
        function.Launch(stream, new Dim3((uint)grid), new Dim3(32 * Warps), shared,
            new KernelArgs().Ptr(codes).Ptr(scales).Ptr(weight).Ptr(weightScales).Ptr(y).Int(rows).Int(outFeatures)
                .Int(inFeatures).Int(yStride).Int(roundToBf16 ? 1 : 0));
    }

    /// <summary>Blocks an SM holds at once (shared memory, with the 1 KiB the runtime keeps per block, and registers):
    /// the grid is one such wave, each block walking its output tiles.</summary>
    private int BlocksPerSm(Variant variant, CudaFunction function)
    {
        if (_blocksPerSm.TryGetValue(variant.Name, out var cached)) return cached;
        var bySharedMemory = kernels.Context.SharedMemoryPerMultiprocessor / (variant.SharedBytes + 1024);
        var perWarpRegisters = (function.Registers() * 32 + 255) / 256 * 256;
        var byRegisters = 65536 / (perWarpRegisters * Warps);
        var blocks = Math.Max(1, Math.Min(2048 / (32 * Warps), Math.Min(bySharedMemory, byRegisters)));
        _blocksPerSm[variant.Name] = blocks;
        return blocks;
    }
}
