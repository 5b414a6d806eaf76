using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
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

    /// <summary>
    /// The FP8 latent cache of the Dec-2025 reference and of production (FlashMLA's 656-byte rows): the normalised MLA
    /// latent is quantised per 128 values to e4m3 with a power-of-two scale before it is cached and before the prefill's
    /// kv_b, so attention sees its FP8 values (with an FP8 kv_b, as in the real checkpoint, the prefill's own activation
    /// quantisation does the same, so only the absorbed form changes). Off (default): the latent stays bf16, as the primary
    /// golden reference.
    /// A paged pool of FP8 rows (<c>KvBlockPool</c> with this model) stores those values in 528 bytes instead of 1024.
    /// </summary>
    public bool Fp8LatentCache { get; init; }
}

/// <summary>
/// DeepSeek-V3.2 (and V3: the same without the indexer) on a compute device (<see cref="IComputeDevice"/>: CPU or
/// CUDA). One forward call runs tokens at positions [startPos, startPos+n) of one sequence against its
/// <see cref="SequenceCache"/>.
/// </summary>
public sealed class DeepSeekV32Model : IDisposable
{
    private readonly SafetensorsCheckpoint? _checkpoint;
    private readonly IDisposable? _ownedDevice;
    private readonly MlaAttention _attention;
    private readonly LightningIndexer? _indexer;
    private readonly MoeLayer?[] _moe;
    private readonly DeviceRopeTable _rope;

    public DeepSeekV32Model(DeepSeekConfig config, ModelWeights weights, IComputeDevice device, ModelOptions? options = null,
        SafetensorsCheckpoint? ownedCheckpoint = null, IProgress<double>? uploadProgress = null, bool ownsDevice = false)
    {
        Config = config;
        Weights = weights;
        Device = device;
        Options = options ?? new ModelOptions();
        _checkpoint = ownedCheckpoint;
        _ownedDevice = ownsDevice ? device : null;
        Rope = new RopeTable(config);
        _rope = new DeviceRopeTable(device, Rope);
        _attention = new MlaAttention(config, Rope.SoftmaxScale, Options.Fp8LatentCache);
        _indexer = config.HasIndexer ? new LightningIndexer(config, Options.IndexTopkOverride) : null;
        _moe = new MoeLayer?[config.NumHiddenLayers];
        var moeIndex = 0;
        for (var l = 0; l < _moe.Length; l++)
            if (config.IsMoeLayer(l)) _moe[l] = new MoeLayer(config, moeIndex++);
        MoeLayerCount = moeIndex;
        DeviceWeights = new DeviceWeights(device, weights, uploadProgress);
    }

    public DeepSeekConfig Config { get; }

    /// <summary>The weights as read from the checkpoint (host, memory-mapped).</summary>
    public ModelWeights Weights { get; }

    /// <summary>The same weights resident on <see cref="Device"/>.</summary>
    public DeviceWeights DeviceWeights { get; }

    public IComputeDevice Device { get; }
    public ModelOptions Options { get; }
    public RopeTable Rope { get; }
    public int MoeLayerCount { get; }

    /// <summary>Opens a checkpoint folder on a CPU backend (the model owns the CPU device it wraps around the backend).</summary>
    public static DeepSeekV32Model Load(string directory, IBackend backend, ModelOptions? options = null, IProgress<double>? progress = null) =>
        Load(directory, new HostDevice(backend), options, progress, ownsDevice: true);

    /// <summary>Opens a checkpoint folder: config, manifest check (before any tensor byte is read), weights, upload to the device.</summary>
    public static DeepSeekV32Model Load(string directory, IComputeDevice device, ModelOptions? options = null, IProgress<double>? progress = null,
        bool ownsDevice = false)
    {
        var config = DeepSeekConfig.Load(Path.Combine(directory, "config.json"));
        var checkpoint = SafetensorsCheckpoint.Open(directory);
        try
        {
            ManifestCheck.Compare(config, checkpoint.ReadAllHeaders()).ThrowIfFailed(directory);
            var weights = WeightLoader.Load(config, checkpoint, progress is null ? null : new Progress<double>(v => progress.Report(v / 2)));
            return new DeepSeekV32Model(config, weights, device, options, checkpoint,
                progress is null ? null : new Progress<double>(v => progress.Report(0.5 + v / 2)), ownsDevice);
        }
        catch
        {
            checkpoint.Dispose();
            if (ownsDevice) device.Dispose();
            throw;
        }
    }

    public SequenceCache NewCache(int initialCapacity = 64) => new(Device, Config, initialCapacity);

    /// <summary>Top-k sets are this wide: index_topk (or its override), at most the context length.</summary>
    public int EffectiveIndexTopk => Math.Min(Options.IndexTopkOverride ?? Config.IndexTopk, Config.MaxPositionEmbeddings);

    /// <summary>A decision log shaped for this model (rows of EffectiveIndexTopk keys per layer).</summary>
    public DecisionLog NewDecisionLog() => new(Config.NumHiddenLayers, Math.Max(1, Config.HasIndexer ? EffectiveIndexTopk : 1),
        Math.Max(0, MoeLayerCount), Config.NumExpertsPerTok);

    /// <summary>
    /// Runs tokens at positions [cache.Length, cache.Length + n) and returns fp32 logits:
    /// [n, vocab] when allRows, else [1, vocab] for the last token. <paramref name="rowInvariantLinears"/>: see
    /// <see cref="ForwardContext.RowInvariantLinears"/> (what the serving engine uses, so a sequence run alone here
    /// matches it bit for bit).
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, SequenceCache cache, bool allRows = false,
        DecisionLog? forced = null, DecisionLog? record = null, IForwardTrace? trace = null, bool rowInvariantLinears = false)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to run", nameof(tokens));
        var t = tokens.Length;
        var startPos = cache.Length;
        CheckTokens(tokens, startPos);
        cache.Reserve(startPos + t);
        var outputRows = allRows ? Enumerable.Range(0, t).ToArray() : [t - 1];
        var logits = Run(tokens, [new ForwardSegment(0, t, startPos, cache)], outputRows, forced, record, trace, rowInvariantLinears);
        cache.Advance(startPos + t);
        return logits;
    }

    /// <summary>
    /// One step over several sequences (continuous batching): embedding, norms, every linear and the MoE run over the
    /// concatenated tokens; attention and the indexer run per sequence against its own cache. Returns fp32 logits of each
    /// sequence's last token, or of all its tokens when <see cref="BatchSequence.AllRows"/>, in sequence order:
    /// [Σ rows, vocab] (one row per sequence unless asked). The caller advances each sequence's cache.
    /// <paramref name="absorbedOnly"/> runs every chunk, a prompt's first one included, in the absorbed form: with
    /// row-invariant linears a row's result then depends only on the cache before its chunk and its own token, so any
    /// chunking (and any prefix-cache hit) gives the same bits; the MHA form (the reference's prefill) is cheaper for
    /// long prompts and rounds at other points.
    /// </summary>
    public float[] ForwardBatch(IReadOnlyList<BatchSequence> sequences, bool rowInvariantLinears = true, bool absorbedOnly = false)
    {
        if (sequences.Count == 0) throw new ArgumentException("no sequences to run", nameof(sequences));
        var segments = new ForwardSegment[sequences.Count];
        var outputRows = new List<int>(sequences.Count);
        var rows = 0;
        for (var i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            if (s.Tokens.IsEmpty) throw new ArgumentException($"sequence {i} has no tokens to run", nameof(sequences));
            CheckTokens(s.Tokens.Span, s.StartPos);
            segments[i] = new ForwardSegment(rows, s.Tokens.Length, s.StartPos, s.Kv, MhaAllowed: !absorbedOnly);
            if (s.AllRows) outputRows.AddRange(Enumerable.Range(rows, s.Tokens.Length));
            else outputRows.Add(rows + s.Tokens.Length - 1);
            rows += s.Tokens.Length;
        }
        var tokens = new int[rows];
        foreach (var (s, segment) in sequences.Zip(segments)) s.Tokens.Span.CopyTo(tokens.AsSpan(segment.RowOffset));
        return Run(tokens, segments, [.. outputRows], null, null, null, rowInvariantLinears);
    }

    internal void CheckTokens(ReadOnlySpan<int> tokens, int startPos)
    {
        if (startPos + tokens.Length > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"positions up to {startPos + tokens.Length} exceed max_position_embeddings {Config.MaxPositionEmbeddings}");
        for (var i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[i]} at index {i} is outside the vocabulary (0..{Config.VocabSize - 1})");
    }

    /// <summary>The layers over all rows of <paramref name="segments"/>; logits [outputRows.Length, vocab] of the given rows.</summary>
    private float[] Run(ReadOnlySpan<int> tokens, IReadOnlyList<ForwardSegment> segments, int[] outputRows,
        DecisionLog? forced, DecisionLog? record, IForwardTrace? trace, bool rowInvariantLinears)
    {
        var t = tokens.Length;
        _rope.Ensure(segments.Max(s => s.EndPos));
        using var ctx = new ForwardContext
        {
            Device = Device, Rope = _rope, Segments = segments, Tokens = t,
            Forced = forced, Record = record, Trace = trace, RowInvariantLinears = rowInvariantLinears,
            PowerOfTwoScales = PowerOfTwoScales,
        };
        var ids = ctx.Temp(DType.I32, t);
        Device.Upload(tokens, ids);
        var logits = ctx.Temp(DType.F32, (long)outputRows.Length * Config.VocabSize);
        RunLayers(ctx, ids, outputRows, logits);
        return ctx.DownloadFloats(logits, (long)outputRows.Length * Config.VocabSize);
    }

    // ue8m0 unless an FP8 config leaves scale_fmt out (bf16 checkpoints: the real model's ue8m0, as the golden reference)
    internal bool PowerOfTwoScales => Config.Quantization is null || Config.Quantization.ScaleFmt == "ue8m0";

    internal DeviceRopeTable DeviceRope => _rope;

    /// <summary>
    /// Every layer, the final norm and the head over the call's rows: token ids I32 [Tokens] in, fp32 logits
    /// [outputRows.Length, vocab] of the given rows out. Only device work, no host round trip unless the context traces
    /// or records (what lets a decode step be captured as a graph).
    /// </summary>
    internal void RunLayers(ForwardContext ctx, DeviceBuffer ids, int[] outputRows, DeviceBuffer logits)
    {
        var t = ctx.Tokens;
        var trace = ctx.Trace;
        var d = Device;
        var hidden = Config.HiddenSize;
        var w = DeviceWeights;
        var h = ctx.Temp(DType.F32, (long)t * hidden);                  // [t, hidden] layer output (bf16 values)
        var residual = ctx.Temp(DType.F32, (long)t * hidden);           // [t, hidden] residual stream (bf16 values)
        var x = ctx.Temp(DType.F32, (long)t * hidden);                  // [t, hidden] normed input
        d.Embed(w.Embedding, ids, t, h);

        var eps = (float)Config.RmsNormEps;
        for (var l = 0; l < Config.NumHiddenLayers; l++)
        {
            using var scope = ctx.LayerScope();   // the layer's temporaries go when it ends
            var layer = w.Layers[l];
            d.AddRmsNorm(h, residual, l > 0, layer.AttnNorm, eps, x, t, hidden);
            _attention.Forward(ctx, l, layer, _indexer, x, h);
            d.AddRmsNorm(h, residual, true, layer.FfnNorm, eps, x, t, hidden);
            if (_moe[l] is { } moe) moe.Forward(ctx, layer.Moe!, x, h);
            else SwiGluMlp.Forward(ctx, layer.Dense!, x, t, h);
            if (trace is not null) TraceLayerOutput(ctx, trace, l, h, residual);
        }

        d.AddRmsNorm(h, residual, true, w.FinalNorm, eps, x, t, hidden);
        if (trace is not null) trace.FinalHidden(ctx.DownloadFloats(x, (long)t * hidden));
        ctx.LinearFp32(w.Head, HeadInput(ctx, x, outputRows, hidden), MatrixView.Dense(logits, outputRows.Length, Config.VocabSize));
    }

    /// <summary>The final-normed rows the head reads: a view when they are consecutive, else gathered.</summary>
    private static MatrixView HeadInput(ForwardContext ctx, DeviceBuffer x, int[] rows, int hidden)
    {
        var consecutive = true;
        for (var i = 1; i < rows.Length; i++) consecutive &= rows[i] == rows[0] + i;
        if (consecutive) return MatrixView.Dense(x, rows.Length, hidden, (long)rows[0] * hidden);
        var rowIds = ctx.Temp(DType.I32, rows.Length);
        ctx.Device.Upload<int>(rows, rowIds);
        var gathered = ctx.Temp(DType.F32, (long)rows.Length * hidden);  // [rows, hidden]
        ctx.Device.GatherRows(x, rowIds, 0, rows.Length, hidden, gathered);
        return MatrixView.Dense(gathered, rows.Length, hidden);
    }

    /// <summary>
    /// Teacher-forced logits of a whole sequence in a fresh cache: [T, vocab] from one prefill, or with
    /// <paramref name="decodeFrom"/> = P a P-token prefill then one token at a time, rows for positions P-1..T-1.
    /// </summary>
    public float[] Score(ReadOnlySpan<int> tokens, int? decodeFrom = null, DecisionLog? forced = null, DecisionLog? record = null)
    {
        using var cache = NewCache(tokens.Length);
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

    private static void TraceLayerOutput(ForwardContext ctx, IForwardTrace trace, int layer, DeviceBuffer h, DeviceBuffer residual)
    {
        var count = ctx.Tokens * (int)(h.Length / ctx.Tokens);
        var stream = ctx.Temp(DType.F32, count);
        ctx.Device.AddRound(h, residual, stream, count);
        trace.LayerOutput(layer, ctx.DownloadFloats(stream, count));
    }

    public void Dispose()
    {
        DeviceWeights.Dispose();
        _rope.Dispose();
        _checkpoint?.Dispose();
        _ownedDevice?.Dispose();
    }
}
