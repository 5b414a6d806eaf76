namespace SeekSharp.Engine.Cache;

/// <summary>
/// Bookkeeping of the KV block pool (host only, no device calls): reference counts, the prefix cache (block hash →
/// block) and an LRU of cached blocks no sequence holds. A block is in exactly one state: free, held (count &gt; 0),
/// or cached-idle (count 0, hashed, evictable). Full blocks are immutable once registered, so hits share them.
/// </summary>
public sealed class BlockManager
{
    private readonly int[] _refCount;
    private readonly BlockHash?[] _hash;
    private readonly Stack<int> _free = new();
    private readonly Dictionary<BlockHash, int> _cached = [];
    private readonly LinkedList<int> _idle = new();                       // cached, unreferenced; oldest first
    private readonly LinkedListNode<int>?[] _idleNode;

    public BlockManager(int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        _refCount = new int[blocks];
        _hash = new BlockHash?[blocks];
        _idleNode = new LinkedListNode<int>?[blocks];
        for (var b = blocks - 1; b >= 0; b--) _free.Push(b);
    }

    public int Total => _refCount.Length;

    /// <summary>Blocks a new allocation can take: free ones plus idle cached ones (evicted on demand).</summary>
    public int Available => _free.Count + _idle.Count;

    /// <summary>Blocks held by sequences or kept by the prefix cache.</summary>
    public int Used => Total - _free.Count;

    /// <summary>Blocks kept only by the prefix cache.</summary>
    public int CachedIdle => _idle.Count;

    public int RefCount(int block) => _refCount[block];

    /// <summary>A private, writable block (count 1), or -1 when none is left; evicts the least recently used idle cached block.</summary>
    public int Allocate()
    {
        int block;
        if (_free.Count > 0) block = _free.Pop();
        else if (_idle.First is { } oldest)
        {
            block = oldest.Value;
            RemoveIdle(block);
            _cached.Remove(_hash[block]!.Value);
            _hash[block] = null;
        }
        else return -1;
        _refCount[block] = 1;
        return block;
    }

    /// <summary>The cached block holding the prefix ending in <paramref name="hash"/>, now also held by the caller; -1 on a miss.</summary>
    public int Acquire(BlockHash hash)
    {
        if (!_cached.TryGetValue(hash, out var block)) return -1;
        if (_refCount[block] == 0) RemoveIdle(block);
        _refCount[block]++;
        return block;
    }

    /// <summary>Marks a held, fully computed block as the cache entry for <paramref name="hash"/> (no-op if that prefix is cached already).</summary>
    public void Register(int block, BlockHash hash)
    {
        if (_refCount[block] < 1) throw new InvalidOperationException($"block {block} is not held");
        if (_hash[block] is not null || _cached.ContainsKey(hash)) return;
        _hash[block] = hash;
        _cached[hash] = block;
    }

    /// <summary>Drops one reference; an unreferenced block goes back to the free list, or, when cached, to the idle LRU.</summary>
    public void Release(int block)
    {
        if (_refCount[block] < 1) throw new InvalidOperationException($"block {block} released more often than held");
        if (--_refCount[block] > 0) return;
        if (_hash[block] is null) _free.Push(block);
        else _idleNode[block] = _idle.AddLast(block);
    }

    private void RemoveIdle(int block)
    {
        _idle.Remove(_idleNode[block]!);
        _idleNode[block] = null;
    }
}
