using SeekSharp.Engine;
using SeekSharp.Engine.Cache;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// DecodeGraphs on the GPU: decode steps replayed from recorded graphs give the logits the same steps give launched op
/// by op, across batch buckets (padding rows), a context bucket boundary, refills and the LRU's evictions.
/// </summary>
public sealed class DecodeGraphTests(ITestOutputHelper output)
{
    private const int Blocks = 6;                                       // per sequence: 384 positions

    [Fact]
    public void ReplayedDecodeStepsGiveTheLogitsOfEagerSteps()
    {
        // the demo shape (FP8, DSA with top-32, MoE) with 4096 positions, so a step can cross the 256 → 512 context bucket
        var config = DeepSeekConfig.Parse(SyntheticConfigs.Demo, "demo");
        using var model = new DeepSeekV32Model(config, InMemoryRandomWeights.Create(config, seed: 21), CudaTestDevice.Get());
        int[] promptLengths = [250, 200, 120];
        var n = promptLengths.Length;
        using var eagerPool = new KvBlockPool(model.Device, config, n * Blocks);
        using var graphPool = new KvBlockPool(model.Device, config, n * Blocks, scratchBlocks: 1);
        // at most two graphs held: the third bucket evicts the least recently used
        using var graphs = DecodeGraphs.Create(model, new PagedSequenceKv(graphPool, [graphPool.ScratchBlock]), maxGraphs: 2)!;
        Assert.NotNull(graphs);

        var tables = Enumerable.Range(0, n).Select(s => Enumerable.Range(s * Blocks, Blocks).ToArray()).ToArray();
        var random = new Random(4);
        var prompts = promptLengths.Select(l => Enumerable.Range(0, l).Select(_ => 2 + random.Next(config.VocabSize - 2)).ToArray()).ToArray();
        // the prompts, eagerly into both pools (the same calls: the same cache bits)
        foreach (var pool in new[] { eagerPool, graphPool })
            model.ForwardBatch([.. prompts.Select((p, s) => new BatchSequence(p, 0, new PagedSequenceKv(pool, tables[s])))]);

        var next = prompts.Select(p => p[^1]).ToArray();
        var positions = promptLengths.ToArray();
        var vocab = config.VocabSize;
        double worst = 0;
        var steps = 0;
        // 10 steps of all three (bucket 4 rows: one padding row; sequence 0 crosses position 256 at step 6), then 4 of two
        for (var step = 0; step < 14; step++)
        {
            var live = step < 10 ? n : 2;
            BatchSequence[] Batch(KvBlockPool pool) =>
                [.. Enumerable.Range(0, live).Select(s => new BatchSequence(new[] { next[s] }, positions[s], new PagedSequenceKv(pool, tables[s])))];
            var eager = model.ForwardBatch(Batch(eagerPool));
            // a bucket's first step is left to the caller (null), as the engine then runs ForwardBatch
            var replayed = graphs.TryRun(Batch(graphPool)) ?? model.ForwardBatch(Batch(graphPool));
            Assert.Null(graphs.LastRecordingFailure);
            for (var s = 0; s < live; s++)
            {
                var expect = eager.AsSpan(s * vocab, vocab);
                var got = replayed.AsSpan(s * vocab, vocab);
                var scale = 0.0;
                var diff = 0.0;
                for (var v = 0; v < vocab; v++)
                {
                    scale = Math.Max(scale, Math.Abs(expect[v]));
                    diff = Math.Max(diff, Math.Abs(expect[v] - got[v]));
                }
                worst = Math.Max(worst, diff / scale);
                Assert.Equal(Argmax(expect), Argmax(got));
                // the eager step's greedy token feeds both paths, so a near tie cannot make them drift apart
                next[s] = Argmax(expect);
                positions[s]++;
            }
            steps++;
        }
        output.WriteLine($"{steps} steps: captures {graphs.Captures}, replays {graphs.Replays}, held {graphs.Count}; worst max|Δ|/max|logit| = {worst:E2}");
        // buckets (4 rows, 256), (4 rows, 512), (2 rows, 512): each first step eager, the second recorded, then
        // replays; two of the three graphs held
        Assert.Equal(3, graphs.Captures);
        Assert.Equal(2, graphs.Count);
        Assert.Equal(steps - 6, graphs.Replays);
        // a replay differs from the eager step only where padding rows or a wider score row change a kernel's
        // summation order (cuBLAS's algorithm for 4 rows instead of 3): fp32 reordering, well below bf16's 2^-8
        Assert.True(worst <= 1.0 / 256, $"replayed logits differ from the eager step's by {worst:E2} of their scale");
    }

    /// <summary>
    /// The FP8 latent cache on the GPU: a pool of 528-byte rows holds the fake-quantised latent the model's bf16 pool
    /// holds, so batched decode steps over it (eager, then replayed from graphs) give the bf16 pool's logits up to the
    /// summation order of the gathered key rows.
    /// </summary>
    [Fact]
    public void Fp8LatentPoolGivesTheLogitsOfTheBf16Pool()
    {
        var config = DeepSeekConfig.Parse(SyntheticConfigs.Demo, "demo");
        using var model = new DeepSeekV32Model(config, InMemoryRandomWeights.Create(config, seed: 23), CudaTestDevice.Get(),
            new ModelOptions { Fp8LatentCache = true });
        int[] promptLengths = [90, 40, 130];
        var n = promptLengths.Length;
        using var bf16Pool = new KvBlockPool(model.Device, config, n * Blocks);
        using var fp8Pool = new KvBlockPool(model.Device, config, n * Blocks, scratchBlocks: 1, fp8Latent: true);
        using var graphs = DecodeGraphs.Create(model, new PagedSequenceKv(fp8Pool, [fp8Pool.ScratchBlock]))!;
        var tables = Enumerable.Range(0, n).Select(s => Enumerable.Range(s * Blocks, Blocks).ToArray()).ToArray();
        var random = new Random(6);
        var prompts = promptLengths.Select(l => Enumerable.Range(0, l).Select(_ => 2 + random.Next(config.VocabSize - 2)).ToArray()).ToArray();
        BatchSequence[] Prompts(KvBlockPool pool) => [.. prompts.Select((p, s) => new BatchSequence(p, 0, new PagedSequenceKv(pool, tables[s])))];
        Compare(model.ForwardBatch(Prompts(bf16Pool)), model.ForwardBatch(Prompts(fp8Pool)), config.VocabSize, n, "prefill");

        var next = prompts.Select(p => p[^1]).ToArray();
        var positions = promptLengths.ToArray();
        for (var step = 0; step < 5; step++)
        {
            BatchSequence[] Batch(KvBlockPool pool) =>
                [.. Enumerable.Range(0, n).Select(s => new BatchSequence(new[] { next[s] }, positions[s], new PagedSequenceKv(pool, tables[s])))];
            var expect = model.ForwardBatch(Batch(bf16Pool));
            // step 0 eager (the bucket's first), step 1 recorded, then replays
            var got = graphs.TryRun(Batch(fp8Pool)) ?? model.ForwardBatch(Batch(fp8Pool));
            Compare(expect, got, config.VocabSize, n, $"decode step {step}");
            for (var s = 0; s < n; s++)
            {
                next[s] = Argmax(expect.AsSpan(s * config.VocabSize, config.VocabSize));
                positions[s]++;
            }
        }
        Assert.Null(graphs.LastRecordingFailure);
        Assert.Equal(3, graphs.Replays);
    }

    private void Compare(float[] expect, float[] got, int vocab, int rows, string what)
    {
        Assert.Equal(expect.Length, got.Length);
        for (var s = 0; s < rows; s++)
        {
            var e = expect.AsSpan(s * vocab, vocab);
            var g = got.AsSpan(s * vocab, vocab);
            double scale = 0, diff = 0;
            for (var v = 0; v < vocab; v++)
            {
                scale = Math.Max(scale, Math.Abs(e[v]));
                diff = Math.Max(diff, Math.Abs(e[v] - g[v]));
            }
            output.WriteLine($"{what}, sequence {s}: max|Δ|/max|logit| = {diff / scale:E2}");
            Assert.Equal(Argmax(e), Argmax(g));
            Assert.True(diff / scale <= 1.0 / 256, $"{what}, sequence {s}: the FP8 pool's logits differ by {diff / scale:E2} of their scale");
        }
    }

    [Fact]
    public async Task EngineGreedyOutputsAreTheSameWithAndWithoutGraphs()
    {
        var config = DeepSeekConfig.Parse(SyntheticConfigs.Demo, "demo");
        using var model = new DeepSeekV32Model(config, InMemoryRandomWeights.Create(config, seed: 22), CudaTestDevice.Get());
        var random = new Random(8);
        var prompts = Enumerable.Range(0, 3).Select(i => Enumerable.Range(0, 30 + 20 * i).Select(_ => 2 + random.Next(config.VocabSize - 2)).ToArray()).ToArray();

        async Task<List<int>[]> Generate(bool graphs)
        {
            var options = new EngineOptions { DecodeGraphs = graphs, KvBlocks = 16, MaxRunningSequences = 4 };
            await using var engine = new LlmEngine(model, options);
            var outputs = prompts.Select(p => Collect(engine.GenerateAsync(new EngineRequest { PromptTokens = p, MaxNewTokens = 24, IgnoreEos = true }))).ToArray();
            await Task.WhenAll(outputs);
            if (graphs)
            {
                var stats = engine.DecodeGraphStats!.Value;
                output.WriteLine($"graphs: captures {stats.Captures}, replays {stats.Replays}, held {stats.Held}");
                Assert.Null(stats.LastRecordingFailure);
                Assert.True(stats.Replays > 0, "no decode step was replayed");
            }
            else
            {
                Assert.Null(engine.DecodeGraphStats);
            }
            return [.. outputs.Select(o => o.Result)];
        }

        var eager = await Generate(graphs: false);
        var replayed = await Generate(graphs: true);
        for (var i = 0; i < prompts.Length; i++) Assert.Equal(eager[i], replayed[i]);
    }

    private static async Task<List<int>> Collect(IAsyncEnumerable<EngineOutput> outputs)
    {
        var tokens = new List<int>();
        await foreach (var o in outputs)
            if (o.TokenId >= 0) tokens.Add(o.TokenId);
        return tokens;
    }

    private static int Argmax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }
}
