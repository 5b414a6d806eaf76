namespace SeekSharp.Engine.Tests;

/// <summary>Seeded sampling and logprobs.</summary>
public sealed class SamplingTests(TinyModel tiny)
{
    private static EngineRequest Sampled(int[] prompt, int seed) =>
        new() { PromptTokens = prompt, MaxNewTokens = 12, Temperature = 1.5f, TopP = 0.95f, Seed = seed, IgnoreEos = true };

    [Fact]
    public async Task A_seed_gives_the_same_tokens_alone_or_in_a_batch()
    {
        var prompt = TinyModel.Prompt(700, 40);
        await using var engine = new LlmEngine(tiny.Model);
        var alone = await EngineRun.Collect(engine.GenerateAsync(Sampled(prompt, 42), TestContext.Current.CancellationToken));
        var batch = await Task.WhenAll([
            EngineRun.Collect(engine.GenerateAsync(Sampled(TinyModel.Prompt(701, 50), 1), TestContext.Current.CancellationToken)),
            EngineRun.Collect(engine.GenerateAsync(Sampled(prompt, 42), TestContext.Current.CancellationToken)),
            EngineRun.Collect(engine.GenerateAsync(Sampled(prompt, 43), TestContext.Current.CancellationToken)),
        ]);
        Assert.Equal(alone.Tokens, batch[1].Tokens);
        Assert.NotEqual(alone.Tokens, batch[2].Tokens);                   // another seed, another draw (12 tokens at T 1.5)
        Assert.NotEqual(Reference.Generate(tiny.Model, prompt, 12).Tokens, alone.Tokens);
    }

    [Fact]
    public async Task Logprobs_are_the_log_softmax_of_the_models_logits_with_the_top_alternatives()
    {
        var prompt = TinyModel.Prompt(710, 33);
        await using var engine = new LlmEngine(tiny.Model);
        var result = await EngineRun.Collect(engine.GenerateAsync(new EngineRequest
        {
            PromptTokens = prompt, MaxNewTokens = 5, IgnoreEos = true, Logprobs = true, TopLogprobs = 5,
        }, TestContext.Current.CancellationToken));
        var expected = Reference.Generate(tiny.Model, prompt, 5);
        for (var j = 0; j < 5; j++)
        {
            var logSoftmax = Reference.LogSoftmax(expected.Logits[j]);
            var top = Enumerable.Range(0, logSoftmax.Length).OrderByDescending(i => logSoftmax[i]).ThenBy(i => i).Take(5)
                .Select(i => new TopLogprob(i, (float)logSoftmax[i])).ToArray();
            var got = result.Logprobs[j]!;
            Assert.Equal((float)logSoftmax[result.Tokens[j]], got.Logprob);
            Assert.Equal(top, got.Top);
            Assert.Equal(top[0].TokenId, result.Tokens[j]);              // greedy picks the most likely
        }
    }
}
