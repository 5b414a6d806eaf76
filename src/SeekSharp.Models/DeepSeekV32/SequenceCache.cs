using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.IO.Config;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// The KV cache of one sequence on the model's device: per layer the MLA latent (bf16 values, after kv_norm) and
/// rotated k_pe, and the indexer's FP8 keys with their per-token scales. Rows are absolute positions; grows on demand.
/// </summary>
public sealed class SequenceCache : ISequenceKv, IDisposable
{
    private readonly IComputeDevice _device;
    private readonly LayerCache[] _layers;

    public SequenceCache(IComputeDevice device, DeepSeekConfig config, int initialCapacity = 64)
    {
        _device = device;
        KvLoraRank = config.KvLoraRank;
        RopeDim = config.QkRopeHeadDim;
        IndexDim = config.HasIndexer ? config.IndexHeadDim : 0;
        _layers = new LayerCache[config.NumHiddenLayers];
        for (var l = 0; l < _layers.Length; l++) _layers[l] = new LayerCache(this, Math.Max(1, initialCapacity));
    }

    public int KvLoraRank { get; }
    public int RopeDim { get; }
    public int IndexDim { get; }

    /// <summary>Number of positions written so far (the next token goes at this position).</summary>
    public int Length { get; private set; }

    public LayerCache Layer(int layer) => _layers[layer];

    /// <summary>Its own buffers: one sequence per pool.</summary>
    public object Pool => this;

    /// <summary>One block holds every position the buffers have room for.</summary>
    public int BlockSize => _layers[0].Capacity;

    KvLayerBuffers ISequenceKv.Layer(int layer)
    {
        var c = _layers[layer];
        return new KvLayerBuffers(c.Latent, c.RopeKey, c.IndexKeys, c.IndexScales);
    }

    public IReadOnlyList<int> Blocks(int end)
    {
        if (end > BlockSize) throw new InvalidOperationException($"the cache holds {BlockSize} positions, the forward needs {end}: reserve first");
        return SingleBlock;
    }

    private static readonly int[] SingleBlock = [0];

    /// <summary>Makes room for positions [0, length) in every layer.</summary>
    public void Reserve(int length)
    {
        foreach (var layer in _layers) layer.Reserve(length);
    }

    /// <summary>Marks positions [0, length) as filled once every layer has written them.</summary>
    public void Advance(int length)
    {
        if (length < Length) throw new ArgumentOutOfRangeException(nameof(length), "cache length cannot shrink");
        Length = length;
    }

    /// <summary>Forgets positions ≥ length (e.g. to re-score a prefix).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Release();
    }

    public sealed class LayerCache
    {
        private readonly SequenceCache _owner;

        internal LayerCache(SequenceCache owner, int capacity)
        {
            _owner = owner;
            (Latent, RopeKey, IndexKeys, IndexScales) = Allocate(capacity);
            Capacity = capacity;
        }

        public int Capacity { get; private set; }
        public DeviceBuffer Latent { get; private set; }        // [capacity, kv_lora], the device's Bf16StorageType
        public DeviceBuffer RopeKey { get; private set; }       // [capacity, rope], same dtype
        public DeviceBuffer IndexKeys { get; private set; }     // U8 [capacity, index_dim] e4m3 codes
        public DeviceBuffer IndexScales { get; private set; }   // F32 [capacity]

        internal void Reserve(int length)
        {
            if (length <= Capacity) return;
            var capacity = Math.Max(length, Capacity * 2);
            var grown = Allocate(capacity);
            var d = _owner._device;
            d.Copy(Latent, 0, grown.Latent, 0, Latent.Length);
            d.Copy(RopeKey, 0, grown.RopeKey, 0, RopeKey.Length);
            d.Copy(IndexKeys, 0, grown.IndexKeys, 0, IndexKeys.Length);
            d.Copy(IndexScales, 0, grown.IndexScales, 0, IndexScales.Length);
            Release();
            (Latent, RopeKey, IndexKeys, IndexScales) = grown;
            Capacity = capacity;
        }

        internal void Release()
        {
            Latent.Dispose();
            RopeKey.Dispose();
            IndexKeys.Dispose();
            IndexScales.Dispose();
        }

        private (DeviceBuffer Latent, DeviceBuffer RopeKey, DeviceBuffer IndexKeys, DeviceBuffer IndexScales) Allocate(int capacity)
        {
            var d = _owner._device;
            return (d.Allocate(d.Bf16StorageType, (long)capacity * _owner.KvLoraRank),
                d.Allocate(d.Bf16StorageType, (long)capacity * _owner.RopeDim),
                d.Allocate(DType.U8, (long)capacity * _owner.IndexDim),
                d.Allocate(DType.F32, _owner.IndexDim > 0 ? capacity : 0));
        }
    }
}
