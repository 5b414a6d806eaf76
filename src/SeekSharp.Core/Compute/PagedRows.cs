namespace SeekSharp.Core.Compute;

/// <summary>
/// Query rows of one or more sequences whose cache rows live in shared pool buffers, in blocks (a paged KV cache).
/// Row i is position <c>RowPositions[i]</c> of sequence <c>RowSequences[i]</c> and sees that sequence's positions
/// 0..RowPositions[i]. Position p of sequence s is pool row <c>BlockTable[s · TableWidth + p / BlockSize] · BlockSize +
/// p % BlockSize</c>. Score rows are <see cref="MaxEnd"/> = max_i RowPositions[i] + 1 wide.
/// The tables are I32 device buffers for the kernels; the same values stay on the host for argument checks and the
/// portable fallbacks (<see cref="PagedFallback"/>). A contiguous single-sequence cache is one sequence whose table is
/// [0] with a block size of at least its length.
/// </summary>
public sealed class PagedRows : IDisposable
{
    private readonly int[] _rowSequences;
    private readonly int[] _rowPositions;
    private readonly int[] _blockTable;
    private long _poolRowsNeeded = -1;

    private PagedRows(int[] rowSequences, int[] rowPositions, int[] blockTable, int tableWidth, int blockSize, int maxEnd,
        DeviceBuffer rowSequencesOnDevice, DeviceBuffer rowPositionsOnDevice, DeviceBuffer blockTableOnDevice)
    {
        _rowSequences = rowSequences;
        _rowPositions = rowPositions;
        _blockTable = blockTable;
        TableWidth = tableWidth;
        BlockSize = blockSize;
        RowSequences = rowSequencesOnDevice;
        RowPositions = rowPositionsOnDevice;
        BlockTable = blockTableOnDevice;
        MaxEnd = maxEnd;
    }

    /// <summary>Checks the tables and uploads them to <paramref name="device"/> (the caller disposes the result).</summary>
    /// <param name="rowSequences">[rows] sequence of each query row.</param>
    /// <param name="rowPositions">[rows] position of each query row in its sequence.</param>
    /// <param name="blockTable">[sequences, tableWidth] pool block of each block of positions (unused entries: any value ≥ 0).</param>
    /// <param name="maxEnd">
    /// Score rows this wide instead of the longest row's position + 1 (at least that): a width that stays fixed while the
    /// rows advance keeps every kernel argument the same from step to step, as a replayed CUDA graph needs.
    /// </param>
    public static PagedRows Create(IComputeDevice device, int[] rowSequences, int[] rowPositions, int[] blockTable, int tableWidth, int blockSize,
        int? maxEnd = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rowSequences.Length == 0 || rowSequences.Length != rowPositions.Length)
            throw new ArgumentException($"paged rows: {rowSequences.Length} row sequences and {rowPositions.Length} row positions; need the same non-zero count");
        if (tableWidth < 1 || blockSize < 1 || blockTable.Length % tableWidth != 0)
            throw new ArgumentException($"paged rows: block table of {blockTable.Length} entries does not split into rows of {tableWidth} (block size {blockSize})");
        var sequences = blockTable.Length / tableWidth;
        for (var i = 0; i < rowSequences.Length; i++)
        {
            if ((uint)rowSequences[i] >= (uint)sequences)
                throw new ArgumentOutOfRangeException(nameof(rowSequences), $"paged rows: row {i} names sequence {rowSequences[i]}; the table has {sequences}");
            if (rowPositions[i] < 0 || rowPositions[i] / blockSize >= tableWidth)
                throw new ArgumentOutOfRangeException(nameof(rowPositions), $"paged rows: row {i} at position {rowPositions[i]} is outside {tableWidth} blocks of {blockSize}");
        }
        CheckBlocks(blockTable);
        var end = rowPositions.Max() + 1;
        if (maxEnd is { } wide && wide < end)
            throw new ArgumentOutOfRangeException(nameof(maxEnd), $"paged rows: score width {wide} is below the longest row's {end} positions");

        DeviceBuffer? seq = null, pos = null, table = null;
        try
        {
            seq = Upload(device, rowSequences);
            pos = Upload(device, rowPositions);
            table = Upload(device, blockTable);
            return new PagedRows((int[])rowSequences.Clone(), (int[])rowPositions.Clone(), (int[])blockTable.Clone(), tableWidth, blockSize,
                maxEnd ?? end, seq, pos, table);
        }
        catch
        {
            seq?.Dispose();
            pos?.Dispose();
            table?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// New positions and block table for the same rows and sequences (the next decode step of a captured graph): checked
    /// as in <see cref="Create"/>, uploaded into the same device buffers. Every row must stay within <see cref="MaxEnd"/>.
    /// </summary>
    public void Refresh(IComputeDevice device, ReadOnlySpan<int> rowPositions, ReadOnlySpan<int> blockTable)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rowPositions.Length != Rows || blockTable.Length != _blockTable.Length)
            throw new ArgumentException($"paged rows refresh: {rowPositions.Length} positions and {blockTable.Length} table entries; these rows have {Rows} and {_blockTable.Length}");
        for (var i = 0; i < rowPositions.Length; i++)
            if (rowPositions[i] < 0 || rowPositions[i] >= MaxEnd)
                throw new ArgumentOutOfRangeException(nameof(rowPositions), $"paged rows refresh: row {i} at position {rowPositions[i]} is outside the score width {MaxEnd}");
        CheckBlocks(blockTable);
        device.Upload(rowPositions, RowPositions);
        device.Upload(blockTable, BlockTable);
        rowPositions.CopyTo(_rowPositions);
        blockTable.CopyTo(_blockTable);
        _poolRowsNeeded = -1;
    }

    private static void CheckBlocks(ReadOnlySpan<int> blockTable)
    {
        var bad = blockTable.IndexOfAnyInRange(int.MinValue, -1);   // vectorised: a decode step's table can be 262K entries
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(nameof(blockTable), $"paged rows: block table entry {blockTable[bad]} is negative");
    }

    /// <summary>One sequence in a contiguous cache (pool row = position): rows at positions startPos .. startPos + tokens - 1.</summary>
    public static PagedRows Contiguous(IComputeDevice device, int startPos, int tokens)
    {
        var positions = new int[tokens];
        for (var i = 0; i < tokens; i++) positions[i] = startPos + i;
        return Create(device, new int[tokens], positions, [0], 1, startPos + tokens);
    }

    public int Rows => _rowSequences.Length;
    public int Sequences => _blockTable.Length / TableWidth;
    public int TableWidth { get; }
    public int BlockSize { get; }

    /// <summary>The width of score rows: max_i RowPositions[i] + 1, or the wider fixed width asked for at creation.</summary>
    public int MaxEnd { get; }

    /// <summary>I32 [Rows] on the device.</summary>
    public DeviceBuffer RowSequences { get; }

    /// <summary>I32 [Rows] on the device.</summary>
    public DeviceBuffer RowPositions { get; }

    /// <summary>I32 [Sequences, TableWidth] on the device.</summary>
    public DeviceBuffer BlockTable { get; }

    public ReadOnlySpan<int> HostRowSequences => _rowSequences;
    public ReadOnlySpan<int> HostRowPositions => _rowPositions;
    public ReadOnlySpan<int> HostBlockTable => _blockTable;

    /// <summary>The pool row holding position <paramref name="position"/> of <paramref name="sequence"/>.</summary>
    public long PoolRow(int sequence, int position) =>
        (long)_blockTable[sequence * TableWidth + position / BlockSize] * BlockSize + position % BlockSize;

    /// <summary>
    /// Pool rows a [poolRows, width] buffer must hold: one past the highest pool row any query row can see. A sequence's
    /// rows see prefixes of its one table row, so only its furthest row counts: each of its whole blocks ends at
    /// (block + 1) · BlockSize, its last at block · BlockSize + position % BlockSize + 1 (per sequence, not per row: a
    /// 4096-row prefill chunk at 128K would otherwise walk 8M table entries).
    /// </summary>
    public long PoolRowsNeeded()
    {
        if (_poolRowsNeeded >= 0) return _poolRowsNeeded;
        var furthest = new int[Sequences];
        furthest.AsSpan().Fill(-1);
        for (var i = 0; i < Rows; i++) furthest[_rowSequences[i]] = Math.Max(furthest[_rowSequences[i]], _rowPositions[i]);
        long needed = 0;
        for (var s = 0; s < furthest.Length; s++)
        {
            if (furthest[s] < 0) continue;
            var whole = _blockTable.AsSpan(s * TableWidth, furthest[s] / BlockSize);   // the blocks before the last
            if (!whole.IsEmpty) needed = Math.Max(needed, ((long)System.Numerics.Tensors.TensorPrimitives.Max<int>(whole) + 1) * BlockSize);
            needed = Math.Max(needed, PoolRow(s, furthest[s]) + 1);
        }
        return _poolRowsNeeded = needed;
    }

    public void Dispose()
    {
        RowSequences.Dispose();
        RowPositions.Dispose();
        BlockTable.Dispose();
    }

    private static DeviceBuffer Upload(IComputeDevice device, int[] values)
    {
        var buffer = device.Allocate(DType.I32, values.Length);
        try
        {
            device.Upload<int>(values, buffer);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
