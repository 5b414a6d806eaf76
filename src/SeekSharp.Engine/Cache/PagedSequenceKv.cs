using SeekSharp.Core;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Engine.Cache;

/// <summary>
/// One sequence's view of the block pool for a forward step. The DSA ops take position-ordered key buffers, so each
/// layer gathers the sequence's cached rows [0, startPos) block by block into step temporaries, the layer writes its
/// new rows there, and <see cref="CloseLayer"/> copies them into their blocks. The numerics are those of a
/// <see cref="SequenceCache"/>; the copies are O(context) per layer (a paged-attention kernel that reads the block
/// table would remove them). Dispose after the step: it frees a layer's temporaries that a failing step left open.
/// </summary>
internal sealed class PagedSequenceKv(KvBlockPool pool, IReadOnlyList<int> blockTable) : ISequenceKv, IDisposable
{
    private const int B = EngineOptions.BlockSize;
    private KvLayerBuffers? _open;

    public KvLayerBuffers OpenLayer(int layer, int startPos, int end)
    {
        if ((end + B - 1) / B > blockTable.Count)
            throw new InvalidOperationException($"positions up to {end} need {(end + B - 1) / B} blocks; the table has {blockTable.Count}");
        var d = pool.Device;
        var view = new KvLayerBuffers(d.Allocate(DType.F32, (long)end * pool.KvLora), d.Allocate(DType.F32, (long)end * pool.Rope),
            d.Allocate(DType.U8, (long)end * pool.IndexDim), d.Allocate(DType.F32, pool.IndexDim > 0 ? end : 0));
        _open = view;
        var stored = pool.Layer(layer);
        for (var p = 0; p < startPos; p += B)
            pool.CopyRows(stored, (long)blockTable[p / B] * B, view, p, Math.Min(B, startPos - p));
        return view;
    }

    public void CloseLayer(int layer, KvLayerBuffers buffers, int startPos, int end)
    {
        try
        {
            var stored = pool.Layer(layer);
            for (var p = startPos; p < end;)
            {
                var inBlock = p % B;
                var count = Math.Min(B - inBlock, end - p);
                pool.CopyRows(buffers, p, stored, (long)blockTable[p / B] * B + inBlock, count);
                p += count;
            }
        }
        finally
        {
            Release(buffers);
            if (ReferenceEquals(_open, buffers)) _open = null;
        }
    }

    public void Dispose()
    {
        if (_open is { } open) Release(open);
        _open = null;
    }

    private static void Release(KvLayerBuffers buffers)
    {
        buffers.Latent.Dispose();
        buffers.RopeKey.Dispose();
        buffers.IndexKeys.Dispose();
        buffers.IndexScales.Dispose();
    }
}
