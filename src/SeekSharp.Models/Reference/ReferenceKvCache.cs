using System.Runtime.InteropServices;

namespace SeekSharp.Models.Reference;

/// <summary>
/// The reference's per-sequence cache: per layer the normalised MLA latent c_kv and the roped k_pe of every position
/// (the absorbed "MQA" entry), and the indexer's fp8 key codes with their scale. Positions are contiguous from 0.
/// </summary>
public sealed class ReferenceKvCache
{
    internal ReferenceKvCache(int layers, int kvLoraRank, int ropeDim, int indexHeadDim)
    {
        Layers = Enumerable.Range(0, layers).Select(_ => new ReferenceLayerCache(kvLoraRank, ropeDim, indexHeadDim)).ToArray();
    }

    internal IReadOnlyList<ReferenceLayerCache> Layers { get; }

    /// <summary>Number of cached positions (the next forward's start position when continuing).</summary>
    public int Length => Layers.Count == 0 ? 0 : Layers[0].Length;

    /// <summary>Forgets every position at or after <paramref name="length"/>.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        foreach (var layer in Layers) layer.Truncate(length);
    }

    /// <summary>A deep copy, so one prefix can be continued in several ways.</summary>
    public ReferenceKvCache Clone() => new(Layers.Select(l => l.Clone()).ToArray());

    private ReferenceKvCache(ReferenceLayerCache[] layers) => Layers = layers;
}

/// <summary>One layer's cache rows, stored flat: latent [n, kv_lora], k_pe [n, rope], index keys [n, dim] e4m3, scales [n].</summary>
internal sealed class ReferenceLayerCache(int kvLoraRank, int ropeDim, int indexHeadDim)
{
    private readonly List<float> _latent = [];
    private readonly List<float> _keyPe = [];
    private readonly List<byte> _indexKeys = [];
    private readonly List<float> _indexKeyScales = [];

    public int Length => _latent.Count / kvLoraRank;

    public ReadOnlySpan<float> Latent => CollectionsMarshal.AsSpan(_latent);

    public ReadOnlySpan<float> KeyPe => CollectionsMarshal.AsSpan(_keyPe);

    public ReadOnlySpan<byte> IndexKeys => CollectionsMarshal.AsSpan(_indexKeys);

    public ReadOnlySpan<float> IndexKeyScales => CollectionsMarshal.AsSpan(_indexKeyScales);

    public void Append(ReadOnlySpan<float> latent, ReadOnlySpan<float> keyPe)
    {
        if (latent.Length != kvLoraRank || keyPe.Length != ropeDim) throw new ArgumentException("cache row width mismatch");
        _latent.AddRange(latent);
        _keyPe.AddRange(keyPe);
    }

    public void AppendIndexKey(ReadOnlySpan<byte> codes, float scale)
    {
        if (codes.Length != indexHeadDim) throw new ArgumentException("index key width mismatch");
        _indexKeys.AddRange(codes);
        _indexKeyScales.Add(scale);
    }

    public void Truncate(int length)
    {
        if (length >= Length) return;
        _latent.RemoveRange(length * kvLoraRank, _latent.Count - length * kvLoraRank);
        _keyPe.RemoveRange(length * ropeDim, _keyPe.Count - length * ropeDim);
        if (_indexKeyScales.Count > length)
        {
            _indexKeys.RemoveRange(length * indexHeadDim, _indexKeys.Count - length * indexHeadDim);
            _indexKeyScales.RemoveRange(length, _indexKeyScales.Count - length);
        }
    }

    public ReferenceLayerCache Clone()
    {
        var copy = new ReferenceLayerCache(kvLoraRank, ropeDim, indexHeadDim);
        copy._latent.AddRange(_latent);
        copy._keyPe.AddRange(_keyPe);
        copy._indexKeys.AddRange(_indexKeys);
        copy._indexKeyScales.AddRange(_indexKeyScales);
        return copy;
    }
}
