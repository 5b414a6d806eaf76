using SeekSharp.Core.Compute;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// Decode steps replayed from device graphs (CUDA graphs): a step of B sequences, one new token each, runs every layer
/// with a single launch instead of some thirty kernel launches and their host work per layer. One graph per
/// (batch bucket, context bucket): the batch is padded to the bucket with rows that decode position 0 into a scratch
/// block, and score rows are as wide as the context bucket, so grids and kernel arguments stay fixed while the
/// sequences advance. The step that records a bucket runs eagerly in the graph's buffers (its result is returned); later steps
/// refill the recorded input buffers and replay. A bucket is recorded the second time it comes (the first runs eagerly
/// through the caller), and a bucket whose recording fails stays eager. The least recently used graph is dropped past
/// <c>maxGraphs</c>; each holds about one layer's working set of temporaries.
/// </summary>
public sealed class DecodeGraphs : IDisposable
{
    private readonly DeepSeekV32Model _model;
    private readonly IGraphCapture _capture;
    private readonly ISequenceKv _padding;
    private readonly int _maxGraphs;
    private readonly List<DecodeGraph> _graphs = [];
    private readonly HashSet<(int Rows, int End)> _seenOnce = [];         // buckets whose first step ran eagerly
    private readonly HashSet<(int Rows, int End)> _failed = [];           // buckets whose recording failed: always eager
    private int _ropeGeneration = -1;
    private long _steps;
    private bool _disposed;

    private DecodeGraphs(DeepSeekV32Model model, IGraphCapture capture, ISequenceKv padding, int maxGraphs)
    {
        _model = model;
        _capture = capture;
        _padding = padding;
        _maxGraphs = maxGraphs;
    }

    /// <summary>
    /// Graphs for <paramref name="model"/>'s decode steps over <paramref name="padding"/>'s pool, or null when its device
    /// cannot record graphs (the CPU). <paramref name="padding"/> is a sequence of that pool whose first block is written
    /// by padding rows and read by nobody else.
    /// </summary>
    public static DecodeGraphs? Create(DeepSeekV32Model model, ISequenceKv padding, int maxGraphs = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(padding);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGraphs, 1);
        return model.Device is IGraphCapture capture ? new DecodeGraphs(model, capture, padding, maxGraphs) : null;
    }

    /// <summary>Graphs recorded so far (the LRU may have dropped some).</summary>
    public int Captures { get; private set; }

    /// <summary>Steps run by replaying a graph.</summary>
    public long Replays { get; private set; }

    /// <summary>Graphs held now.</summary>
    public int Count => _graphs.Count;

    /// <summary>Why the last failed recording failed (that bucket then runs eagerly), or null while none has.</summary>
    public string? LastRecordingFailure { get; private set; }

    /// <summary>
    /// Host time of the last replay's refill (token ids, positions and block tables filled and uploaded), in ms: once a
    /// step whatever the layer count, so a one-layer benchmark reports it apart from the layer.
    /// </summary>
    public double LastRefillMilliseconds { get; private set; }

    /// <summary>The batch bucket of <paramref name="sequences"/> rows: 1, 2, 4, then multiples of 8 (as vLLM's capture sizes).</summary>
    public static int RowBucket(int sequences) =>
        sequences <= 4 ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(sequences, 1)) : (sequences + 7) / 8 * 8;

    /// <summary>The context bucket of a step whose longest row ends at <paramref name="end"/>: a power of two ≥ 256, at most <paramref name="limit"/>.</summary>
    public static int ContextBucket(int end, int limit) =>
        Math.Min(Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(end, 1))), Math.Max(limit, end));

    /// <summary>
    /// Logits [sequences, vocab] of a decode step (every sequence one token, last row only, all in the padding
    /// sequence's pool), replayed or recorded; null when the step is not such a step or recording is off (the caller
    /// runs <see cref="DeepSeekV32Model.ForwardBatch"/>). The caller advances each sequence's cache. The array belongs to
    /// the bucket's graph and its next step overwrites it: read (or copy) the logits before the next call.
    /// </summary>
    public float[]? TryRun(IReadOnlyList<BatchSequence> sequences)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsDecodeStep(sequences)) return null;
        var config = _model.Config;
        var end = 0;
        foreach (var s in sequences)
        {
            _model.CheckTokens(s.Tokens.Span, s.StartPos);
            end = Math.Max(end, s.StartPos + 1);
        }
        var rows = RowBucket(sequences.Count);
        var bucket = ContextBucket(end, config.MaxPositionEmbeddings);

        // graphs read the rotary tables where they were: a move (a longer context) invalidates every graph
        _model.DeviceRope.Ensure(bucket);
        if (_model.DeviceRope.Generation != _ropeGeneration)
        {
            Clear();
            _ropeGeneration = _model.DeviceRope.Generation;
        }

        var vocab = config.VocabSize;
        var graph = _graphs.Find(g => g.Rows == rows && g.End == bucket);
        if (graph is not null)
        {
            var refill = System.Diagnostics.Stopwatch.GetTimestamp();
            graph.Refill(sequences);
            LastRefillMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(refill).TotalMilliseconds;
            graph.Graph!.Replay();
            Replays++;
            graph.LastUse = ++_steps;
            return Logits(graph, sequences.Count, vocab);
        }

        // a bucket seen for the first time runs eagerly (the caller's path): one passing batch size costs no recording;
        // a failed one stays eager
        var key = (rows, bucket);
        if (_failed.Contains(key)) return null;
        if (_seenOnce.Add(key)) return null;
        _seenOnce.Remove(key);

        // seen again: this step runs eagerly in new buffers (its logits stay there), then the same call is recorded
        graph = DecodeGraph.Create(_model.Device, sequences, rows, bucket, _padding, vocab, PoolBlocks());
        try
        {
            RunStep(graph);
            var logits = Logits(graph, sequences.Count, vocab);
            if (!TryRecord(graph))
            {
                _failed.Add(key);
                graph.Dispose();
                return logits;
            }
            graph.LastUse = ++_steps;
            Keep(graph);
            return logits;
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    private bool IsDecodeStep(IReadOnlyList<BatchSequence> sequences)
    {
        if (sequences.Count == 0) return false;
        foreach (var s in sequences)
            if (s.Tokens.Length != 1 || s.AllRows || !ReferenceEquals(s.Kv.Pool, _padding.Pool) || s.Kv.BlockSize != _padding.BlockSize)
                return false;
        return true;
    }

    private float[] Logits(DecodeGraph graph, int sequences, int vocab)
    {
        // one host array per graph and batch size, reused step after step: at the real vocabulary a step's logits are
        // 66 MB for 128 rows, and a fresh array each step cost its allocation and first-touch page faults (5-30 ms
        // that varied from step to step in `seek bench gpu --model`)
        var length = (long)sequences * vocab;
        if (graph.HostLogits is not { } logits || logits.LongLength != length) graph.HostLogits = logits = new float[length];
        _model.Device.Download<float>(graph.Logits, 0, logits);
        return logits;
    }

    /// <summary>Records the graph's step; false (with the reason kept) when the capture fails.</summary>
    private bool TryRecord(DecodeGraph graph)
    {
        try
        {
            graph.Graph = _capture.Capture(() => RunStep(graph));
            Captures++;
            return true;
        }
        catch (Exception e)
        {
            LastRecordingFailure = $"recording a decode step of {graph.Rows} rows below position {graph.End} failed: {e.Message}";
            return false;
        }
    }

    /// <summary>Blocks of the padding sequence's pool, from its rope buffer ([blocks · block size, rope]).</summary>
    private int PoolBlocks() =>
        (int)(_padding.Layer(0).RopeKey.Length / ((long)_model.Config.QkRopeHeadDim * _padding.BlockSize));

    /// <summary>Holds the graph, dropping the least recently used past the limit.</summary>
    private void Keep(DecodeGraph graph)
    {
        _graphs.Add(graph);
        while (_graphs.Count > _maxGraphs)
        {
            var oldest = _graphs.MinBy(g => g.LastUse)!;
            _graphs.Remove(oldest);
            oldest.Dispose();
        }
    }

    /// <summary>The whole forward call over the graph's buffers: every row's logits into <see cref="DecodeGraph.Logits"/>.</summary>
    private void RunStep(DecodeGraph graph)
    {
        using var ctx = new ForwardContext
        {
            Device = _model.Device, Rope = _model.DeviceRope, Segments = graph.Segments, Tokens = graph.Rows,
            KeptGroups = [graph.Group], KeptRowPositions = graph.Group.Paged.RowPositions,
            PowerOfTwoScales = _model.PowerOfTwoScales,
        };
        _model.RunLayers(ctx, graph.Ids, Enumerable.Range(0, graph.Rows).ToArray(), graph.Logits);
    }

    private void Clear()
    {
        foreach (var graph in _graphs) graph.Dispose();
        _graphs.Clear();
    }

    public void Dispose()
    {
        _disposed = true;
        Clear();
    }
}
