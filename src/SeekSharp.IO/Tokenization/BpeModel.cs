using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace SeekSharp.IO.Tokenization;

/// <summary>
/// Byte-level BPE model: vocabulary, merge ranks, and the per-piece encoder with a shared cache
/// (pre-token text -> ids). Thread-safe: the cache is concurrent and scratch space is per thread.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedPieceLength = 256;
    private const int MaxCacheEntries = 262_144;
    private const int StackLimit = 512;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabLookup;
    private readonly MergeTable _merges;
    private readonly int[] _byteToId = new int[256];
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    public BpeModel(Dictionary<string, int> vocab, MergeTable merges, bool ignoreMerges)
    {
        _vocab = vocab;
        _vocabLookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _ignoreMerges = ignoreMerges;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> one = stackalloc char[1];
        for (var b = 0; b < 256; b++)
        {
            one[0] = ByteLevelAlphabet.ToChar((byte)b);
            _byteToId[b] = _vocabLookup.TryGetValue(one, out var id) ? id : -1;
        }
    }

    public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

    public int MergeCount => _merges.Count;

    /// <summary>Appends the ids of one pre-token (raw text, before the byte-level mapping).</summary>
    public void EncodePiece(ReadOnlySpan<char> piece, List<int> output)
    {
        var cacheable = piece.Length <= MaxCachedPieceLength;
        if (cacheable && _cacheLookup.TryGetValue(piece, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var start = output.Count;
        EncodeUncached(piece, output);
        if (cacheable && Volatile.Read(ref _cacheCount) < MaxCacheEntries)
        {
            var ids = output.GetRange(start, output.Count - start).ToArray();
            if (_cache.TryAdd(piece.ToString(), ids)) Interlocked.Increment(ref _cacheCount);
        }
    }

    private void EncodeUncached(ReadOnlySpan<char> piece, List<int> output)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rentedBytes = null;
        Span<byte> bytes = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        var length = Encoding.UTF8.GetBytes(piece, bytes);
        bytes = bytes[..length];

        int[]? rentedIds = null;
        Span<int> initial = length <= StackLimit ? stackalloc int[StackLimit] : (rentedIds = ArrayPool<int>.Shared.Rent(length));
        initial = initial[..length];
        try
        {
            if (_ignoreMerges && TryWholeWord(bytes, output)) return;
            for (var i = 0; i < length; i++) initial[i] = _byteToId[bytes[i]];
            BpeMerger.ForThisThread().Merge(initial, _merges, output);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedIds is not null) ArrayPool<int>.Shared.Return(rentedIds);
        }
    }

    // ignore_merges: a piece that is itself a vocabulary entry is emitted whole, without merging.
    private bool TryWholeWord(ReadOnlySpan<byte> bytes, List<int> output)
    {
        char[]? rented = null;
        Span<char> chars = bytes.Length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(bytes.Length));
        try
        {
            for (var i = 0; i < bytes.Length; i++) chars[i] = ByteLevelAlphabet.ToChar(bytes[i]);
            if (!_vocabLookup.TryGetValue(chars[..bytes.Length], out var id)) return false;
            output.Add(id);
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }
}
