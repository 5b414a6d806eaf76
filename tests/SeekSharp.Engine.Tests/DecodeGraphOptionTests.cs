using SeekSharp.Engine.Cache;

namespace SeekSharp.Engine.Tests;

/// <summary>The engine's decode-graph switch where no graph can be recorded (the CPU), and the pool's scratch block.</summary>
public sealed class DecodeGraphOptionTests(TinyModel tiny)
{
    [Fact]
    public async Task On_the_cpu_steps_run_eagerly_and_the_pool_keeps_no_scratch_block()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { KvBlocks = 8 });
        Assert.Null(engine.DecodeGraphStats);
        Assert.Equal(8, engine.KvBlocks);
    }

    [Fact]
    public void Scratch_blocks_lie_past_the_blocks_sequences_own()
    {
        using var pool = new KvBlockPool(tiny.Model.Device, tiny.Model.Config, 5, scratchBlocks: 1);
        Assert.Equal(5, pool.Blocks);
        Assert.Equal(5, pool.ScratchBlock);
        Assert.Equal(6L * EngineOptions.BlockSize * tiny.Model.Config.KvLoraRank, pool.Layer(0).Latent.Length);
        using var none = new KvBlockPool(tiny.Model.Device, tiny.Model.Config, 5);
        Assert.Throws<InvalidOperationException>(() => none.ScratchBlock);
    }

    [Fact]
    public void At_least_one_decode_graph_must_be_allowed() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LlmEngine(tiny.Model, new EngineOptions { MaxDecodeGraphs = 0 }));
}
