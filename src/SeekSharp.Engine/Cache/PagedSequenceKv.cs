using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Engine.Cache;

/// <summary>
/// One sequence's view of the block pool for a forward step: its block table. The model's paged ops read and write
/// the pool's rows through it directly, and every sequence of the step shares the pool, so attention runs batched.
/// </summary>
public sealed class PagedSequenceKv(KvBlockPool pool, IReadOnlyList<int> blockTable) : ISequenceKv
{
    public object Pool => pool;

    public int BlockSize => EngineOptions.BlockSize;

    public KvLayerBuffers Layer(int layer) => pool.Layer(layer);

    public IReadOnlyList<int> Blocks(int end)
    {
        var needed = (end + BlockSize - 1) / BlockSize;
        if (needed > blockTable.Count)
            throw new InvalidOperationException($"positions up to {end} need {needed} blocks; the table has {blockTable.Count}");
        return blockTable;
    }
}
