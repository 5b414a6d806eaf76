using SeekSharp.Models.Reference;

namespace SeekSharp.Models.Tests.Reference;

/// <summary>Self-consistency of the reference forward on tiny-bf16 prompt B: chunked continuation, cache reuse, record/force.</summary>
public sealed class ReferenceConsistencyTests
{
    private const string Prompt = "B";

    [Fact]
    public void ChunkedContinuationEqualsSingleTokenStepsBitForBit()
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var tokens = g.Prompts[Prompt];
        var p = g.DecodePrefillLength[Prompt];
        var forced = g.ForcedLog($"{Prompt}.prefill.topk", 0, $"{Prompt}.prefill.routing", 0);
        var cache = g.Model.NewCache();
        g.Model.Forward(tokens.AsSpan(0, p), 0, cache, forced);
        var prefix = cache.Clone();

        var steps = new List<float>();
        for (var pos = p; pos < tokens.Length; pos++) steps.AddRange(g.Model.Forward(tokens.AsSpan(pos, 1), pos, cache, forced));
        Assert.Equal(tokens.Length, cache.Length);

        // The same continuation as one multi-token forward: absorbed MQA with causal masking inside the chunk.
        var chunk = g.Model.Forward(tokens.AsSpan(p), p, prefix, forced);
        Assert.Equal(steps.ToArray(), chunk);

        // Restarting from position p on the advanced cache forgets the old continuation first.
        var again = g.Model.Forward(tokens.AsSpan(p), p, cache, forced);
        Assert.Equal(chunk, again);
    }

    [Fact]
    public void RecordedDecisionsReplayToIdenticalLogits()
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var tokens = g.Prompts[Prompt];
        var record = g.NewLog();
        var free = g.Model.Forward(tokens, 0, g.Model.NewCache(), record: record);

        for (var pos = 0; pos < tokens.Length; pos++)
        {
            for (var l = 0; l < g.Config.NumHiddenLayers; l++)
            {
                Assert.True(record.TryGetTopk(pos, l, out var keys));
                Assert.Equal(Math.Min(pos + 1, g.Config.IndexTopk), keys.Length);
            }
            for (var m = 0; m < g.MoeLayers; m++) Assert.True(record.TryGetRouting(pos, m, out _));
        }
        var replayed = g.Model.Forward(tokens, 0, g.Model.NewCache(), forced: record);
        Assert.Equal(free, replayed);

        // Forcing other experts at the last position changes exactly that row: the forced log is really used.
        var last = tokens.Length - 1;
        var other = g.NewLog();
        other.SetTopkRows(0, record.TopkRows(0, tokens.Length));
        other.SetRoutingRows(0, record.RoutingRows(0, tokens.Length));
        Assert.True(record.TryGetRouting(last, 0, out var experts));
        var picked = experts.ToArray();
        other.SetRouting(last, 0, Enumerable.Range(0, g.Config.NRoutedExperts).Where(e => !picked.Contains(e)).Take(picked.Length).ToArray());
        var changed = g.Model.Forward(tokens, 0, g.Model.NewCache(), forced: other);
        Assert.Equal(free.AsSpan(0, last * g.Vocab).ToArray(), changed.AsSpan(0, last * g.Vocab).ToArray());
        Assert.NotEqual(free.AsSpan(last * g.Vocab).ToArray(), changed.AsSpan(last * g.Vocab).ToArray());
    }

    [Fact]
    public void InvalidForcedKeyIsRejectedAndLeavesTheCacheAsBefore()
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var tokens = g.Prompts[Prompt][..8];
        var cache = g.Model.NewCache();
        g.Model.Forward(tokens[..4], 0, cache);
        var invalid = g.NewLog();
        invalid.SetTopk(5, 1, [6]);                                      // key 6 is not visible from position 5

        Assert.Throws<ArgumentException>(() => g.Model.Forward(tokens[4..], 4, cache, invalid));
        Assert.Equal(4, cache.Length);

        var untouched = g.Model.NewCache();
        g.Model.Forward(tokens[..4], 0, untouched);
        Assert.Equal(g.Model.Forward(tokens[4..], 4, untouched), g.Model.Forward(tokens[4..], 4, cache));
    }
}
