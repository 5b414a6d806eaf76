using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Kernels/mla_sparse_wg.cu: the score and weighted-sum kernels of the absorbed MLA on Hopper's warpgroup tensor cores,
/// for a bf16 cache read in place with kv_lora 512 and rope 64 (DeepSeek-V3.2's shape). MlaLauncher runs them in place
/// of mla_abs_qk and mla_abs_pv around the same mla_abs_prob, so the output keeps the chain's rounding (identical bits
/// in the kernel lab at 128 heads; where the two paths split the keys differently, the fp32 partial sums are added in
/// another order). Available where the module is built for sm_90a and compiles, unless SEEKSHARP_MLA_WG=0 keeps the
/// mma.sync kernels (for A/B timing).
/// </summary>
internal sealed class MlaSparseWarpgroup(KernelLibrary library)
{
    private const string File = "mla_sparse_wg.cu";
    private const int Tile = 32;             // MSW_TILE: key slots per tile
    private const int TileBytes = 9 * Tile * 128;   // MSW_TILE_BYTES: 32 key rows of 576 bf16
    private const int QkStages = 6;          // MSW_QK_STAGES
    private const int PvStages = 5;          // MSW_PV_STAGES
    private const int QkHeads = 128;         // heads per score block: two warpgroups x 64
    private const int MinTilesPerSplit = 4;  // a split loads its queries' rows once; fewer tiles would not repay that

    /// <summary>Dynamic shared bytes, MSW_QK_SHARED: 1 KiB alignment slack, then per stage a key tile, two mbarriers and 32 used flags.</summary>
    internal const int QkShared = 1024 + QkStages * (TileBytes + 16 + Tile * 4);

    /// <summary>MSW_PV_SHARED: per stage half of 32 latent rows (16 KiB), their probabilities for 128 heads (8 KiB), two mbarriers.</summary>
    internal const int PvShared = 1024 + PvStages * (4 * Tile * 128 + 128 * Tile * 2 + 16);

    private static readonly bool Enabled = Environment.GetEnvironmentVariable("SEEKSHARP_MLA_WG") != "0";
    private readonly Lazy<(CudaFunction Qk, CudaFunction Pv)?> _kernels = new(() => Load(library));

    /// <summary>The shape these kernels take: kv_lora 512 and rope 64 (a 576-wide key row), any head count.</summary>
    public static bool Fits(MlaShape shape) => shape.KvLora == 512 && shape.Rope == 64;

    /// <summary>Whether the kernels can run here (sm_90a build, module compiled, not switched off).</summary>
    public bool Available => Enabled && _kernels.Value is not null;

    /// <summary>
    /// (count, slots each) of the score kernel's key splits: enough 128-head blocks to fill the SMs once, at least
    /// <see cref="MinTilesPerSplit"/> tiles each.
    /// </summary>
    public (int Count, int Slots) QkSplits(int slotsPad, int tokens, int heads) =>
        Splits(slotsPad, tokens * (long)CeilDiv(heads, QkHeads));

    /// <summary>The weighted-sum kernel's splits: two blocks (column halves) per 128 heads and query.</summary>
    public (int Count, int Slots) PvSplits(int slotsPad, int tokens, int heads) =>
        Splits(slotsPad, tokens * 2L * CeilDiv(heads, QkHeads));

    private (int Count, int Slots) Splits(int slotsPad, long blocks) =>
        MlaLauncher.WaveSplits(slotsPad / Tile, Math.Max(library.Context.MultiprocessorCount, 1), blocks, MinTilesPerSplit);

    /// <summary>
    /// scores [tokens, heads, slotsPad] F32 = (qa · key) · scale, -inf for unused slots: qa [tokens, heads, 576] bf16 bits,
    /// latent [*, 512] and ropeKeys [*, 64] BF16, idx the I32 index rows [tokens, indexWidth] (0: keys 0..pos0 + t).
    /// </summary>
    public void Scores(CudaStream stream, CudaBuffer qa, CudaBuffer latent, CudaBuffer ropeKeys, nint idx, int indexWidth,
        int pos0, int tokens, int heads, int slotsPad, float scale, CudaBuffer scores)
    {
        var split = QkSplits(slotsPad, tokens, heads);
        _kernels.Value!.Value.Qk.Launch(stream, new Dim3((uint)CeilDiv(heads, QkHeads), (uint)split.Count, (uint)tokens), new Dim3(256),
            QkShared, new KernelArgs()
                .Ptr(qa.Pointer).Ptr(latent.Pointer).Ptr(ropeKeys.Pointer).Ptr(idx).Ptr(scores.Pointer)
                .Int(indexWidth).Int(pos0).Int(heads).Int(slotsPad).Int(split.Slots).Float(scale));
    }

    /// <summary>
    /// O = P V over the latent rows: prob [tokens, heads, slotsPad] bf16 bits; with one split o_lat = bf16(O) goes to
    /// olatBits [tokens, heads, 512] when given, else (bf16 values) to opart; with several, fp32 partial sums opart
    /// [tokens, splits, heads, 512] for mla_abs_combine. <paramref name="splits"/> from <see cref="PvSplits"/>.
    /// </summary>
    public void WeightedSums(CudaStream stream, CudaBuffer latent, nint idx, int indexWidth, int pos0, int tokens, int heads,
        int slotsPad, CudaBuffer prob, (int Count, int Slots) splits, CudaBuffer opart, CudaBuffer? olatBits)
    {
        _kernels.Value!.Value.Pv.Launch(stream, new Dim3((uint)(2 * CeilDiv(heads, QkHeads)), (uint)splits.Count, (uint)tokens),
            new Dim3(256), PvShared, new KernelArgs()
                .Ptr(latent.Pointer).Ptr(idx).Ptr(prob.Pointer).Ptr(opart.Pointer).Ptr(olatBits?.Pointer ?? 0)
                .Int(indexWidth).Int(pos0).Int(heads).Int(slotsPad).Int(splits.Slots));
    }

    private static (CudaFunction, CudaFunction)? Load(KernelLibrary library)
    {
        if (!library.BuildsArchSpecific) return null;
        return library.TryLoadOptional("mla: the warpgroup kernels", "the mma.sync kernels", () =>
        {
            var qk = library.Module(File).Function("mla_sparse_qk_wg");
            var pv = library.Module(File).Function("mla_sparse_pv_wg");
            qk.SetMaxDynamicSharedBytes(QkShared);
            pv.SetMaxDynamicSharedBytes(PvShared);
            return (qk, pv);
        }, out var kernels) ? kernels : null;
    }

    private static int CeilDiv(long a, long b) => (int)((a + b - 1) / b);
}
