using SeekSharp.IO.Config;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// The KV cache of one sequence: per layer the MLA latent (bf16 values, after kv_norm) and rotated k_pe,
/// and the indexer's FP8 keys with their per-token scales. Rows are absolute positions; grows on demand.
/// </summary>
public sealed class SequenceCache
{
    private readonly LayerCache[] _layers;

    public SequenceCache(DeepSeekConfig config, int initialCapacity = 64)
    {
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

    public sealed class LayerCache
    {
        private readonly SequenceCache _owner;

        internal LayerCache(SequenceCache owner, int capacity)
        {
            _owner = owner;
            Allocate(capacity);
        }

        public int Capacity { get; private set; }
        public float[] Latent { get; private set; } = [];      // [capacity, kv_lora]
        public float[] RopeKey { get; private set; } = [];     // [capacity, rope]
        public byte[] IndexKeys { get; private set; } = [];    // [capacity, index_dim] e4m3 codes
        public float[] IndexScales { get; private set; } = []; // [capacity]

        public Span<float> LatentRow(int position) => Latent.AsSpan(position * _owner.KvLoraRank, _owner.KvLoraRank);
        public Span<float> RopeKeyRow(int position) => RopeKey.AsSpan(position * _owner.RopeDim, _owner.RopeDim);
        public Span<byte> IndexKeyRow(int position) => IndexKeys.AsSpan(position * _owner.IndexDim, _owner.IndexDim);

        internal void Reserve(int length)
        {
            if (length <= Capacity) return;
            var old = (Latent, RopeKey, IndexKeys, IndexScales);
            Allocate(Math.Max(length, Capacity * 2));
            old.Latent.CopyTo(Latent, 0);
            old.RopeKey.CopyTo(RopeKey, 0);
            old.IndexKeys.CopyTo(IndexKeys, 0);
            old.IndexScales.CopyTo(IndexScales, 0);
        }

        private void Allocate(int capacity)
        {
            Capacity = capacity;
            Latent = new float[capacity * _owner.KvLoraRank];
            RopeKey = new float[capacity * _owner.RopeDim];
            IndexKeys = new byte[capacity * _owner.IndexDim];
            IndexScales = new float[_owner.IndexDim > 0 ? capacity : 0];
        }
    }
}
