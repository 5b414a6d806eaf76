using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// One captured decode step of <see cref="Rows"/> sequences whose positions are below <see cref="End"/>: the input
/// buffers it reads (token ids, row positions, block table), the logits it writes, and the graph. A replay changes only
/// the values in those buffers, so every kernel argument, grid and temporary address stays as recorded.
/// </summary>
internal sealed class DecodeGraph : IDisposable
{
    private readonly IComputeDevice _device;
    private readonly int[] _positions;
    private readonly int[] _table;
    private readonly int _paddingBlock;
    private readonly int _poolBlocks;

    private DecodeGraph(IComputeDevice device, int paddingBlock, int poolBlocks, DeviceBuffer ids, DeviceBuffer logits,
        IReadOnlyList<ForwardSegment> segments, AttentionGroup group)
    {
        _device = device;
        _paddingBlock = paddingBlock;
        _poolBlocks = poolBlocks;
        Ids = ids;
        Logits = logits;
        Segments = segments;
        Group = group;
        _positions = new int[group.Rows];
        _table = new int[group.Paged.HostBlockTable.Length];
    }

    /// <summary>Activation rows (the batch bucket): real sequences first, padding rows after them.</summary>
    public int Rows => Group.Rows;

    /// <summary>Score width: every row's position is below it (the context bucket).</summary>
    public int End => Group.Paged.MaxEnd;

    public int BlockSize => Group.Paged.BlockSize;

    /// <summary>Block table entries per row.</summary>
    public int TableWidth => Group.Paged.TableWidth;

    /// <summary>I32 [Rows] token ids.</summary>
    public DeviceBuffer Ids { get; }

    /// <summary>F32 [Rows, vocab] logits of every row.</summary>
    public DeviceBuffer Logits { get; }

    /// <summary>The segments of the step it was built from (what the layers' host code reads: the pool, the form).</summary>
    public IReadOnlyList<ForwardSegment> Segments { get; }

    /// <summary>The one attention group of every step, its tables refreshed in place.</summary>
    public AttentionGroup Group { get; }

    public IDeviceGraph? Graph { get; set; }

    /// <summary>The host copy of the real rows' logits, reused by every step of this graph (see DecodeGraphs.TryRun).</summary>
    public float[]? HostLogits { get; set; }

    /// <summary>When it last ran (a step counter: the least recent graph is evicted first).</summary>
    public long LastUse { get; set; }

    /// <summary>
    /// Buffers for <paramref name="rows"/> rows below <paramref name="end"/>, filled with the step of
    /// <paramref name="sequences"/>; rows past them decode position 0 of the padding sequence, whose one block is
    /// <paramref name="padding"/>'s (their cache row and outputs are thrown away).
    /// </summary>
    /// <param name="poolBlocks">Blocks in the pool: a replay checks no launch, so every table entry is checked against it here.</param>
    public static DecodeGraph Create(IComputeDevice device, IReadOnlyList<BatchSequence> sequences, int rows, int end, ISequenceKv padding,
        int vocab, int poolBlocks)
    {
        var blockSize = padding.BlockSize;
        var paddingBlock = padding.Blocks(1)[0];
        var width = (end + blockSize - 1) / blockSize;
        var segments = new ForwardSegment[rows];
        for (var i = 0; i < rows; i++)
            segments[i] = i < sequences.Count
                ? new ForwardSegment(i, 1, sequences[i].StartPos, sequences[i].Kv, MhaAllowed: false)
                : new ForwardSegment(i, 1, 0, padding, MhaAllowed: false);
        var positions = new int[rows];
        var table = new int[rows * width];
        Fill(sequences, padding: paddingBlock, width, blockSize, poolBlocks, positions, table);

        DeviceBuffer? ids = null, logits = null;
        PagedRows? paged = null;
        try
        {
            ids = device.Allocate(DType.I32, rows);
            logits = device.Allocate(DType.F32, (long)rows * vocab);
            paged = PagedRows.Create(device, Enumerable.Range(0, rows).ToArray(), positions, table, width, blockSize, maxEnd: end);
            var graph = new DecodeGraph(device, paddingBlock, poolBlocks, ids, logits, segments, AttentionGroup.Over(segments, paged));
            graph.UploadTokens(sequences);
            return graph;
        }
        catch
        {
            ids?.Dispose();
            logits?.Dispose();
            paged?.Dispose();
            throw;
        }
    }

    /// <summary>Writes the next step's token ids, positions and block tables into the recorded buffers.</summary>
    public void Refill(IReadOnlyList<BatchSequence> sequences)
    {
        Fill(sequences, _paddingBlock, TableWidth, BlockSize, _poolBlocks, _positions, _table);
        Group.Paged.Refresh(_device, _positions, _table);
        UploadTokens(sequences);
    }

    private void UploadTokens(IReadOnlyList<BatchSequence> sequences)
    {
        var ids = new int[Rows];
        for (var i = 0; i < sequences.Count; i++) ids[i] = sequences[i].Tokens.Span[0];
        _device.Upload<int>(ids, Ids);
    }

    /// <summary>Row i: sequence i at its position, its blocks then the padding block; padding rows: position 0, padding block.</summary>
    private static void Fill(IReadOnlyList<BatchSequence> sequences, int padding, int width, int blockSize, int poolBlocks,
        int[] positions, int[] table)
    {
        table.AsSpan().Fill(padding);
        positions.AsSpan().Clear();
        for (var i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            var end = s.StartPos + 1;
            var used = (end + blockSize - 1) / blockSize;
            var row = table.AsSpan(i * width, used);
            BlockLists.CopyTo(s.Kv.Blocks(end), row);
            // one vectorised range check over the row (at 128 rows x 128K a step copies 262K entries)
            var bad = row.IndexOfAnyExceptInRange(0, poolBlocks - 1);
            if (bad >= 0)
                throw new ArgumentOutOfRangeException(nameof(sequences), $"decode graph: sequence {i} names pool block {row[bad]}; the pool has {poolBlocks}");
            positions[i] = s.StartPos;
        }
    }

    public void Dispose()
    {
        Graph?.Dispose();
        Graph = null;
        Group.Dispose();
        Ids.Dispose();
        Logits.Dispose();
    }
}
