namespace SeekSharp.IO.Tokenization;

/// <summary>
/// The byte-pair merge loop of HF's BPE model: start from one symbol per byte, then repeatedly merge
/// the adjacent pair with the lowest merge rank (leftmost first among equal ranks) until no pair has
/// a merge. A min-heap keyed by (rank, position) keeps long pieces O(n log n). One instance per thread.
/// </summary>
internal sealed class BpeMerger
{
    [ThreadStatic] private static BpeMerger? s_instance;

    private int[] _ids = new int[64];
    private int[] _next = new int[64];
    private int[] _prev = new int[64];
    private long[] _heap = new long[64];
    private int _heapCount;

    public static BpeMerger ForThisThread() => s_instance ??= new BpeMerger();

    /// <summary>Merges the initial symbols (token ids, one per byte; -1 entries are dropped, as HF drops
    /// characters missing from the vocabulary when there is no unk token) and appends the result.</summary>
    public void Merge(ReadOnlySpan<int> initial, MergeTable merges, List<int> output)
    {
        var n = 0;
        EnsureCapacity(initial.Length);
        foreach (var id in initial)
        {
            if (id >= 0) _ids[n++] = id;
        }
        if (n == 0) return;
        for (var i = 0; i < n; i++)
        {
            _prev[i] = i - 1;
            _next[i] = i + 1;
        }
        _next[n - 1] = -1;

        _heapCount = 0;
        for (var i = 0; i + 1 < n; i++)
        {
            if (merges.TryGet(_ids[i], _ids[i + 1], out var rank, out _)) Push(rank, i);
        }

        while (_heapCount > 0)
        {
            var top = Pop();
            var rank = (int)(top >> 32);
            var pos = (int)(top & 0xFFFFFFFF);
            if (_ids[pos] < 0) continue;                       // merged into its left neighbour already
            var right = _next[pos];
            if (right < 0) continue;
            if (!merges.TryGet(_ids[pos], _ids[right], out var currentRank, out var newId) || currentRank != rank)
                continue;                                      // stale: this pair changed since it was queued

            _ids[pos] = newId;
            _ids[right] = -1;
            var after = _next[right];
            _next[pos] = after;
            if (after >= 0) _prev[after] = pos;

            var before = _prev[pos];
            if (before >= 0 && merges.TryGet(_ids[before], newId, out var leftRank, out _)) Push(leftRank, before);
            if (after >= 0 && merges.TryGet(newId, _ids[after], out var rightRank, out _)) Push(rightRank, pos);
        }

        for (var i = 0; i >= 0; i = _next[i]) output.Add(_ids[i]);
    }

    private void EnsureCapacity(int n)
    {
        if (_ids.Length >= n) return;
        var size = Math.Max(n, _ids.Length * 2);
        _ids = new int[size];
        _next = new int[size];
        _prev = new int[size];
    }

    private void Push(int rank, int pos)
    {
        if (_heapCount == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        var key = ((long)rank << 32) | (uint)pos;
        var i = _heapCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_heap[parent] <= key) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = key;
    }

    private long Pop()
    {
        var top = _heap[0];
        var last = _heap[--_heapCount];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= _heapCount) break;
            if (child + 1 < _heapCount && _heap[child + 1] < _heap[child]) child++;
            if (_heap[child] >= last) break;
            _heap[i] = _heap[child];
            i = child;
        }
        if (_heapCount > 0) _heap[i] = last;
        return top;
    }
}
