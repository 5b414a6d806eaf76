namespace SeekSharp.IO.Config;

/// <summary>
/// The Hugging Face config.json of a DeepSeek-V3.2 (`deepseek_v32`) or DeepSeek-V3 (`deepseek_v3`, no indexer) checkpoint:
/// every key that changes the model, under its HF name in PascalCase, validated on load (<see cref="DeepSeekConfigReader"/>).
/// Keys with a single supported value (hidden_act, scoring_func, ...) are kept so that what was read can be written back.
/// </summary>
public sealed record DeepSeekConfig
{
    public const string V32ModelType = "deepseek_v32";
    public const string V3ModelType = "deepseek_v3";

    /// <summary>"deepseek_v32" (DSA sparse attention) or "deepseek_v3" (dense MLA).</summary>
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }

    /// <summary>Inner size of the dense MLP of the first <see cref="FirstKDenseReplace"/> layers.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Inner size of one routed expert (shared experts: × <see cref="NSharedExperts"/>).</summary>
    public required int MoeIntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int FirstKDenseReplace { get; init; }
    public required int MoeLayerFreq { get; init; }
    public required int NumAttentionHeads { get; init; }

    /// <summary>Always equal to <see cref="NumAttentionHeads"/> (MLA has no grouped KV heads).</summary>
    public required int NumKeyValueHeads { get; init; }
    public required int NRoutedExperts { get; init; }
    public required int NSharedExperts { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public required int NGroup { get; init; }
    public required int TopkGroup { get; init; }

    /// <summary>"sigmoid".</summary>
    public required string ScoringFunc { get; init; }

    /// <summary>"noaux_tc" (group-limited top-k on scores plus e_score_correction_bias).</summary>
    public required string TopkMethod { get; init; }
    public required bool NormTopkProb { get; init; }
    public required double RoutedScalingFactor { get; init; }
    public required int QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QkNopeHeadDim { get; init; }
    public required int QkRopeHeadDim { get; init; }
    public required int VHeadDim { get; init; }

    /// <summary>Lightning-indexer heads; 0 for deepseek_v3 (no indexer).</summary>
    public required int IndexNHeads { get; init; }

    /// <summary>Lightning-indexer head dim; 0 for deepseek_v3.</summary>
    public required int IndexHeadDim { get; init; }

    /// <summary>Keys each query attends to under DSA; 0 for deepseek_v3.</summary>
    public required int IndexTopk { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }

    /// <summary>YaRN parameters; null = plain RoPE.</summary>
    public required YarnScaling? RopeScaling { get; init; }
    public required int MaxPositionEmbeddings { get; init; }

    /// <summary>MTP modules stored after the main layers (model.layers.{NumHiddenLayers}...); not run by this engine.</summary>
    public required int NumNextnPredictLayers { get; init; }

    /// <summary>Always false (tied embeddings are rejected on load).</summary>
    public required bool TieWordEmbeddings { get; init; }

    /// <summary>"silu" (SwiGLU MLPs).</summary>
    public required string HiddenAct { get; init; }
    public required int BosTokenId { get; init; }

    /// <summary>`eos_token_id`, an int or a list in config.json; always a list here.</summary>
    public required IReadOnlyList<int> EosTokenIds { get; init; }

    /// <summary>FP8 block quantisation of the linear weights; null for a BF16/F16/F32 checkpoint.</summary>
    public required Fp8Quantization? Quantization { get; init; }

    /// <summary>`torch_dtype` as written (informational; real dtypes come from the safetensors headers).</summary>
    public required string? TorchDtype { get; init; }

    public bool HasIndexer => ModelType == V32ModelType;
    public bool IsFp8 => Quantization is not null;

    /// <summary>Query/key head dim: no-position part + rotary part (192 for V3.2).</summary>
    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>MoE layers are the ones from first_k_dense_replace on, every moe_layer_freq-th; the others have a dense MLP.</summary>
    public bool IsMoeLayer(int layer) => layer >= FirstKDenseReplace && layer % MoeLayerFreq == 0;

    /// <summary>Reads and validates a config.json file.</summary>
    /// <exception cref="CheckpointFormatException">Unreadable file, invalid JSON, or a key missing, mistyped or unsupported (named).</exception>
    public static DeepSeekConfig Load(string path)
    {
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, null, $"cannot read config: {e.Message}", e);
        }
        return DeepSeekConfigReader.Parse(json, path);
    }

    /// <summary>Parses and validates config.json text; <paramref name="sourceName"/> is what errors call the file.</summary>
    public static DeepSeekConfig Parse(string json, string sourceName) => DeepSeekConfigReader.Parse(json, sourceName);

    /// <summary>HF-shaped config.json text (snake_case HF keys, sorted).</summary>
    public string ToJson() => DeepSeekConfigWriter.ToJson(this);

    /// <summary>Writes <see cref="ToJson()"/> to <paramref name="path"/>.</summary>
    public void Save(string path) => DeepSeekConfigWriter.Save(this, path);
}
