namespace SeekSharp.IO.Tokenization;

/// <summary>Merge rules keyed by the (left id, right id) pair: the rule's rank and the merged token's id.</summary>
internal sealed class MergeTable
{
    private readonly Dictionary<long, long> _rules;

    public MergeTable(int capacity) => _rules = new Dictionary<long, long>(capacity, PairComparer.Instance);

    public int Count => _rules.Count;

    /// <summary>A pair listed twice keeps the later rank, as HF's loader (a map insert) does.</summary>
    public void Set(int left, int right, int rank, int mergedId) =>
        _rules[Key(left, right)] = ((long)rank << 32) | (uint)mergedId;

    public bool TryGet(int left, int right, out int rank, out int mergedId)
    {
        if (_rules.TryGetValue(Key(left, right), out var value))
        {
            rank = (int)(value >> 32);
            mergedId = (int)(value & 0xFFFFFFFF);
            return true;
        }
        rank = mergedId = 0;
        return false;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    // long's own hash is left ^ right, which collides massively for id pairs; mix the bits instead.
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }
}
