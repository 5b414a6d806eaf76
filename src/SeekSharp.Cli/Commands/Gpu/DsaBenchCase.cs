namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// One timed row of `seek bench gpu`: an op at a shape, its median time, and the work it must do.
/// Flop and byte counts are the ideal ones for OUR data layout (FP8 indexer keys of 128 + 4 B per token, an fp32
/// latent cache of 576 values per token), so GB/s is comparable with the hardware peak, not with PyTorch's bytes.
/// </summary>
public sealed record DsaBenchRow(string Phase, int Batch, int Context, string Op, double Ms, double Flop, double Bytes, string Note)
{
    public double TflopPerSecond => Flop / (Ms * 1e-3) / 1e12;
    public double GBPerSecond => Bytes / (Ms * 1e-3) / 1e9;
}

/// <summary>DeepSeek-V3.2's attention dimensions at real size (the same as torch_dsa_bench.py).</summary>
public static class RealDims
{
    public const int Heads = 128, Nope = 128, Rope = 64, V = 128, KvLora = 512, IndexHeads = 64, IndexDim = 128, TopK = 2048;

    /// <summary>192^-½ · (0.1·ln 40 + 1)²: the YaRN-scaled softmax scale.</summary>
    public static readonly float SoftmaxScale = (float)(Math.Pow(Nope + Rope, -0.5) * Math.Pow(0.1 * Math.Log(40) + 1, 2));

    /// <summary>Indexer over L keys for one query: 64 heads × 128 dims multiply-add, ReLU-weighted head sum.</summary>
    public static double IndexerFlop(long visibleKeys) => 2.0 * visibleKeys * IndexHeads * IndexDim + 2.0 * visibleKeys * IndexHeads;

    /// <summary>Absorbed MLA for one query over k keys: scores over 576, values over 512, plus W_UK/W_UV per head.</summary>
    public static double SparseMlaFlop(long keys) => 2.0 * Heads * keys * (KvLora + Rope + KvLora) + 2.0 * 2 * Heads * Nope * KvLora;
}
