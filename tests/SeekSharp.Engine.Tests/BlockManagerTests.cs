using SeekSharp.Engine.Cache;

namespace SeekSharp.Engine.Tests;

public sealed class BlockManagerTests
{
    private static BlockHash Hash(params int[] chain)
    {
        var hash = BlockHash.Root;
        foreach (var token in chain) hash = BlockHash.Chain(hash, Enumerable.Repeat(token, 64).ToArray());
        return hash;
    }

    [Fact]
    public void Hashes_chain_over_the_whole_prefix()
    {
        Assert.Equal(Hash(1, 2), Hash(1, 2));
        Assert.NotEqual(Hash(1, 2), Hash(3, 2));                       // same last block, other parent
        Assert.NotEqual(Hash(1, 2), Hash(1, 3));
    }

    [Fact]
    public void A_registered_block_is_shared_by_reference_and_kept_idle_after_release()
    {
        var blocks = new BlockManager(4);
        var a = blocks.Allocate();
        blocks.Register(a, Hash(1));
        Assert.Equal(a, blocks.Acquire(Hash(1)));
        Assert.Equal(2, blocks.RefCount(a));
        Assert.Equal(-1, blocks.Acquire(Hash(2)));
        blocks.Release(a);
        blocks.Release(a);
        Assert.Equal(1, blocks.CachedIdle);
        Assert.Equal(1, blocks.Used);
        Assert.Equal(4, blocks.Available);
        Assert.Equal(a, blocks.Acquire(Hash(1)));                       // an idle cached block comes back on a hit
        Assert.Equal(0, blocks.CachedIdle);
    }

    [Fact]
    public void Allocation_takes_free_blocks_first_then_evicts_the_least_recently_used_idle_block()
    {
        var blocks = new BlockManager(3);
        var ids = new[] { blocks.Allocate(), blocks.Allocate(), blocks.Allocate() };
        Assert.Equal(-1, blocks.Allocate());
        blocks.Register(ids[0], Hash(1));
        blocks.Register(ids[1], Hash(2));
        blocks.Release(ids[1]);                                         // idle first: least recently used
        blocks.Release(ids[0]);
        blocks.Release(ids[2]);                                         // unhashed: straight to the free list
        Assert.Equal(ids[2], blocks.Allocate());
        Assert.Equal(ids[1], blocks.Allocate());                        // evicts Hash(2)
        Assert.Equal(-1, blocks.Acquire(Hash(2)));
        Assert.Equal(ids[0], blocks.Acquire(Hash(1)));
        Assert.Equal(-1, blocks.Allocate());
    }

    [Fact]
    public void A_prefix_registered_twice_keeps_the_first_block()
    {
        var blocks = new BlockManager(2);
        var first = blocks.Allocate();
        var second = blocks.Allocate();
        blocks.Register(first, Hash(7));
        blocks.Register(second, Hash(7));
        blocks.Release(second);
        Assert.Equal(1, blocks.Used);                                   // the duplicate went back to the free list
        Assert.Equal(first, blocks.Acquire(Hash(7)));
        Assert.Throws<InvalidOperationException>(() => blocks.Release(second));
    }
}
