using SeekSharp.Core.Compute;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// Consecutive segments of a forward call whose caches share one pool and attend in the same form: the indexer, top-k
/// and MLA run once per layer for the whole group over its paged rows (activation rows [RowOffset, RowOffset + Rows)).
/// A prompt's MHA prefill (from position 0) is always a group of its own.
/// </summary>
public sealed class AttentionGroup : IDisposable
{
    private AttentionGroup(int rowOffset, IReadOnlyList<ForwardSegment> segments, PagedRows paged)
    {
        RowOffset = rowOffset;
        Segments = segments;
        Paged = paged;
    }

    public int RowOffset { get; }
    public int Rows => Paged.Rows;
    public IReadOnlyList<ForwardSegment> Segments { get; }

    /// <summary>Row positions and block tables of the group's sequences (one table row per segment, in order).</summary>
    public PagedRows Paged { get; }

    /// <summary>The shared cache pool.</summary>
    public ISequenceKv Kv => Segments[0].Kv;

    /// <summary>A single prompt from position 0 in the reference's MHA form.</summary>
    public bool UsesMhaPrefill => Segments.Count == 1 && Segments[0].UsesMhaPrefill;

    /// <summary>
    /// One group over <paramref name="segments"/> (consecutive rows, one pool, absorbed form) with tables the caller made
    /// (the group owns them): a decode graph keeps the group and refreshes <paramref name="paged"/> in place every step.
    /// </summary>
    public static AttentionGroup Over(IReadOnlyList<ForwardSegment> segments, PagedRows paged)
    {
        if (segments.Count == 0 || segments.Sum(s => s.Tokens) != paged.Rows)
            throw new ArgumentException($"attention group: {segments.Count} segments of {segments.Sum(s => s.Tokens)} rows for {paged.Rows} paged rows");
        for (var i = 1; i < segments.Count; i++)
            if (!Joins(segments[i - 1], segments[i]))
                throw new ArgumentException($"attention group: segment {i} does not share the pool and form of segment {i - 1}");
        return new AttentionGroup(segments[0].RowOffset, segments.ToArray(), paged);
    }

    /// <summary>Splits <paramref name="segments"/> (in row order) into groups and uploads their tables.</summary>
    public static List<AttentionGroup> Build(IComputeDevice device, IReadOnlyList<ForwardSegment> segments)
    {
        var groups = new List<AttentionGroup>();
        try
        {
            var run = new List<ForwardSegment>();
            foreach (var segment in segments)
            {
                if (run.Count > 0 && !Joins(run[^1], segment))
                {
                    groups.Add(Create(device, run));
                    run = [];
                }
                run.Add(segment);
            }
            groups.Add(Create(device, run));
            return groups;
        }
        catch
        {
            foreach (var group in groups) group.Dispose();
            throw;
        }
    }

    private static bool Joins(ForwardSegment previous, ForwardSegment next) =>
        ReferenceEquals(previous.Kv.Pool, next.Kv.Pool) && previous.Kv.BlockSize == next.Kv.BlockSize
        && !previous.UsesMhaPrefill && !next.UsesMhaPrefill;

    private static AttentionGroup Create(IComputeDevice device, List<ForwardSegment> run)
    {
        var blockSize = run[0].Kv.BlockSize;
        var tables = run.Select(s => s.Kv.Blocks(s.EndPos)).ToArray();
        var width = run.Max(s => (s.EndPos + blockSize - 1) / blockSize);
        var table = new int[run.Count * width];
        var rows = run.Sum(s => s.Tokens);
        var rowSequences = new int[rows];
        var rowPositions = new int[rows];
        var r = 0;
        for (var i = 0; i < run.Count; i++)
        {
            var blocks = (run[i].EndPos + blockSize - 1) / blockSize;
            BlockLists.CopyTo(tables[i], table.AsSpan(i * width, blocks));
            for (var t = 0; t < run[i].Tokens; t++, r++)
            {
                rowSequences[r] = i;
                rowPositions[r] = run[i].StartPos + t;
            }
        }
        return new AttentionGroup(run[0].RowOffset, run.ToArray(), PagedRows.Create(device, rowSequences, rowPositions, table, width, blockSize));
    }

    public void Dispose() => Paged.Dispose();
}
