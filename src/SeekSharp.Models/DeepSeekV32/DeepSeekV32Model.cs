using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.Decisions;
using SeekSharp.Models.DeepSeekV32.Manifest;
using SeekSharp.Models.DeepSeekV32.Ops;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>Options that change what the model computes (not how fast).</summary>
public sealed record ModelOptions
{
    /// <summary>Replaces index_topk; int.MaxValue selects every visible key (the dense control).</summary>
    public int? IndexTopkOverride { get; init; }
}

/// <summary>
/// DeepSeek-V3.2 (and V3: the same without the indexer) on a compute backend. One forward call runs
/// tokens at positions [startPos, startPos+n) of one sequence against its <see cref="SequenceCache"/>.
/// </summary>
public sealed class DeepSeekV32Model : IDisposable
{
    private readonly SafetensorsCheckpoint? _checkpoint;
    private readonly MlaAttention _attention;
    private readonly LightningIndexer? _indexer;
    private readonly MoeLayer?[] _moe;

    public DeepSeekV32Model(DeepSeekConfig config, ModelWeights weights, IBackend backend, ModelOptions? options = null,
        SafetensorsCheckpoint? ownedCheckpoint = null)
    {
        Config = config;
        Weights = weights;
        Backend = backend;
        Options = options ?? new ModelOptions();
        _checkpoint = ownedCheckpoint;
        Rope = new RopeTable(config);
        _attention = new MlaAttention(config, Rope);
        _indexer = config.HasIndexer ? new LightningIndexer(config, Rope, Options.IndexTopkOverride) : null;
        _moe = new MoeLayer?[config.NumHiddenLayers];
        var moeIndex = 0;
        for (var l = 0; l < _moe.Length; l++)
            if (config.IsMoeLayer(l)) _moe[l] = new MoeLayer(config, moeIndex++);
        MoeLayerCount = moeIndex;
    }

    public DeepSeekConfig Config { get; }
    public ModelWeights Weights { get; }
    public IBackend Backend { get; }
    public ModelOptions Options { get; }
    public RopeTable Rope { get; }
    public int MoeLayerCount { get; }

    /// <summary>Opens a checkpoint folder: config, manifest check (before any tensor byte is read), weights.</summary>
    public static DeepSeekV32Model Load(string directory, IBackend backend, ModelOptions? options = null, IProgress<double>? progress = null)
    {
        var config = DeepSeekConfig.Load(Path.Combine(directory, "config.json"));
        var checkpoint = SafetensorsCheckpoint.Open(directory);
        try
        {
            ManifestCheck.Compare(config, checkpoint.ReadAllHeaders()).ThrowIfFailed(directory);
            var weights = WeightLoader.Load(config, checkpoint, progress);
            return new DeepSeekV32Model(config, weights, backend, options, checkpoint);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public SequenceCache NewCache(int initialCapacity = 64) => new(Config, initialCapacity);

    /// <summary>Top-k sets are this wide: index_topk (or its override), at most the context length.</summary>
    public int EffectiveIndexTopk => Math.Min(Options.IndexTopkOverride ?? Config.IndexTopk, Config.MaxPositionEmbeddings);

    /// <summary>A decision log shaped for this model (rows of EffectiveIndexTopk keys per layer).</summary>
    public DecisionLog NewDecisionLog() => new(Config.NumHiddenLayers, Math.Max(1, Config.HasIndexer ? EffectiveIndexTopk : 1),
        Math.Max(0, MoeLayerCount), Config.NumExpertsPerTok);

    /// <summary>
    /// Runs tokens at positions [cache.Length, cache.Length + n) and returns fp32 logits:
    /// [n, vocab] when allRows, else [1, vocab] for the last token.
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, SequenceCache cache, bool allRows = false,
        DecisionLog? forced = null, DecisionLog? record = null, IForwardTrace? trace = null)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to run", nameof(tokens));
        var t = tokens.Length;
        var startPos = cache.Length;
        if (startPos + t > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"positions up to {startPos + t} exceed max_position_embeddings {Config.MaxPositionEmbeddings}");
        cache.Reserve(startPos + t);
        var ctx = new ForwardContext
        {
            Backend = Backend, Cache = cache, StartPos = startPos, Tokens = t,
            Forced = forced, Record = record, Trace = trace,
            // ue8m0 unless an FP8 config leaves scale_fmt out (bf16 checkpoints: the real model's ue8m0, as the golden reference)
            PowerOfTwoScales = Config.Quantization is null || Config.Quantization.ScaleFmt == "ue8m0",
        };

        var hidden = Config.HiddenSize;
        var h = new float[t * hidden];                       // [t, hidden] layer output (bf16 values)
        var residual = new float[t * hidden];                // [t, hidden] residual stream (bf16 values)
        var x = new float[t * hidden];                       // [t, hidden] normed input
        Embed(tokens, h);

        for (var l = 0; l < Config.NumHiddenLayers; l++)
        {
            var layer = Weights.Layers[l];
            Norms.AddRmsNorm(h, residual, l > 0, layer.AttnNorm, (float)Config.RmsNormEps, x, t);
            _attention.Forward(ctx, l, layer, _indexer, x, h);
            Norms.AddRmsNorm(h, residual, true, layer.FfnNorm, (float)Config.RmsNormEps, x, t);
            if (_moe[l] is { } moe) moe.Forward(ctx, layer.Moe!, x, h);
            else SwiGluMlp.Forward(ctx, layer.Dense!, x, t, h);
            if (trace is not null) TraceLayerOutput(trace, l, h, residual);
        }
        cache.Advance(startPos + t);

        Norms.AddRmsNorm(h, residual, true, Weights.FinalNorm, (float)Config.RmsNormEps, x, t);
        trace?.FinalHidden(x);
        var rows = allRows ? t : 1;
        var logits = new float[rows * Config.VocabSize];
        ctx.LinearFp32(Weights.Head, x.AsSpan((t - rows) * hidden, rows * hidden), rows, logits);
        return logits;
    }

    /// <summary>
    /// Teacher-forced logits of a whole sequence in a fresh cache: [T, vocab] from one prefill, or with
    /// <paramref name="decodeFrom"/> = P a P-token prefill then one token at a time, rows for positions P-1..T-1.
    /// </summary>
    public float[] Score(ReadOnlySpan<int> tokens, int? decodeFrom = null, DecisionLog? forced = null, DecisionLog? record = null)
    {
        var cache = NewCache(tokens.Length);
        if (decodeFrom is not { } prefix)
            return Forward(tokens, cache, allRows: true, forced, record);
        if (prefix < 1 || prefix > tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(decodeFrom), $"decode-from {prefix} must be between 1 and the number of tokens ({tokens.Length})");

        var vocab = Config.VocabSize;
        var logits = new float[(tokens.Length - prefix + 1) * vocab];
        Forward(tokens[..prefix], cache, allRows: false, forced, record).CopyTo(logits, 0);
        for (var i = prefix; i < tokens.Length; i++)
            Forward(tokens.Slice(i, 1), cache, allRows: false, forced, record).CopyTo(logits, (i - prefix + 1) * vocab);
        return logits;
    }

    private static void TraceLayerOutput(IForwardTrace trace, int layer, float[] h, float[] residual)
    {
        var stream = new float[h.Length];
        System.Numerics.Tensors.TensorPrimitives.Add(h, residual, stream);
        BFloat16Math.RoundInPlace(stream);
        trace.LayerOutput(layer, stream);
    }

    /// <summary>Gathers embedding rows (bf16 in the file) into h [t, hidden].</summary>
    private unsafe void Embed(ReadOnlySpan<int> tokens, Span<float> h)
    {
        var e = Weights.Embedding;
        var hidden = e.In;
        for (var i = 0; i < tokens.Length; i++)
        {
            var id = tokens[i];
            if ((uint)id >= (uint)e.Out) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {id} at index {i} is outside the vocabulary (0..{e.Out - 1})");
            var dst = h.Slice(i * hidden, hidden);
            switch (e.DType)
            {
                case DType.BF16: BFloat16Math.ToFloat(new ReadOnlySpan<ushort>((ushort*)e.Data + (long)id * hidden, hidden), dst); break;
                case DType.F32: new ReadOnlySpan<float>((float*)e.Data + (long)id * hidden, hidden).CopyTo(dst); BFloat16Math.RoundInPlace(dst); break;
                default: throw new NotSupportedException($"embedding dtype {e.DType}");
            }
        }
    }

    public void Dispose() => _checkpoint?.Dispose();
}
