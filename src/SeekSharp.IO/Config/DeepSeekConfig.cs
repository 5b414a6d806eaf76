namespace SeekSharp.IO.Config;

/// <summary>YaRN context extension (`rope_scaling` with type "yarn").</summary>
public sealed record YarnScaling(
    double Factor,
    int OriginalMaxPositionEmbeddings,
    double BetaFast,
    double BetaSlow,
    double Mscale,
    double MscaleAllDim);

/// <summary>`quantization_config` of the FP8 checkpoints: e4m3 weights, 128×128 blocks, dynamic activations.</summary>
public sealed record Fp8Quantization(string? ScaleFmt, int BlockRows, int BlockCols);

/// <summary>
/// The Hugging Face config.json of a DeepSeek-V3.2 (`deepseek_v32`) or DeepSeek-V3 (`deepseek_v3`, no indexer)
/// checkpoint: only what changes the model, validated on load (<see cref="DeepSeekConfigReader"/>).
/// </summary>
public sealed record DeepSeekConfig
{
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MoeIntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int FirstKDenseReplace { get; init; }
    public int MoeLayerFreq { get; init; } = 1;
    public required int NumAttentionHeads { get; init; }
    public required int NRoutedExperts { get; init; }
    public required int NSharedExperts { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public required int NGroup { get; init; }
    public required int TopkGroup { get; init; }
    public required bool NormTopkProb { get; init; }
    public required double RoutedScalingFactor { get; init; }
    public required int QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QkNopeHeadDim { get; init; }
    public required int QkRopeHeadDim { get; init; }
    public required int VHeadDim { get; init; }

    /// <summary>Indexer heads; 0 for deepseek_v3 (no indexer).</summary>
    public int IndexNHeads { get; init; }
    public int IndexHeadDim { get; init; }
    public int IndexTopk { get; init; }

    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public YarnScaling? RopeScaling { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public int NumNextnPredictLayers { get; init; }
    public int BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [1];
    public Fp8Quantization? Quantization { get; init; }
    public string? TorchDtype { get; init; }

    public bool HasIndexer => ModelType == "deepseek_v32";
    public bool IsFp8 => Quantization is not null;
    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>MoE layers are the ones from first_k_dense_replace on, every moe_layer_freq-th.</summary>
    public bool IsMoeLayer(int layer) => NRoutedExperts > 0 && layer >= FirstKDenseReplace && layer % MoeLayerFreq == 0;

    public static DeepSeekConfig Load(string path)
    {
        string json;
        try { json = File.ReadAllText(path); }
        catch (IOException e) { throw new CheckpointFormatException(path, null, $"cannot read config: {e.Message}", e); }
        return DeepSeekConfigReader.Parse(json, path);
    }

    public static DeepSeekConfig Parse(string json, string sourceName) => DeepSeekConfigReader.Parse(json, sourceName);

    /// <summary>HF-shaped config.json text (snake_case keys).</summary>
    public string ToJson() => DeepSeekConfigWriter.ToJson(this);
}
