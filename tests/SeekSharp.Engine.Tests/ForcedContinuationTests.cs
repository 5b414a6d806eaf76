namespace SeekSharp.Engine.Tests;

/// <summary>Forced tokens: at the start of the reply or after a trigger token, streamed without logprobs, then the model goes on.</summary>
public sealed class ForcedContinuationTests(TinyModel tiny)
{
    private static Task<StreamResult> Run(LlmEngine engine, int[] prompt, int maxNew, ForcedContinuation forced, IReadOnlyList<int>? stopIds = null) =>
        EngineRun.Collect(engine.GenerateAsync(new EngineRequest
        {
            PromptTokens = prompt, MaxNewTokens = maxNew, IgnoreEos = true, Logprobs = true, Forced = forced, StopTokenIds = stopIds ?? [],
        }));

    [Fact]
    public async Task Tokens_forced_after_a_trigger_follow_it_and_the_model_continues_after_them()
    {
        var model = tiny.Model;
        var prompt = TinyModel.Prompt(800, 30);
        await using var engine = new LlmEngine(model);
        var plain = await EngineRun.Greedy(engine, prompt, 8);
        var k = Enumerable.Range(2, 6).First(i => !plain.Tokens.Take(i).Contains(plain.Tokens[i]));  // its first occurrence
        int[] forced = [11, 12, 13];

        var result = await Run(engine, prompt, 12, new ForcedContinuation(plain.Tokens[k], forced));

        Assert.Equal([.. plain.Tokens.Take(k + 1), .. forced], result.Tokens.Take(k + 4));
        Assert.All(result.Logprobs.Skip(k + 1).Take(3), Assert.Null);
        Assert.Equal(12, result.Finish.CompletionTokens);
        // the oracle: decodes up to the trigger, then trigger + forced as one absorbed chunk, then greedy
        using var cache = model.NewCache();
        model.Forward(prompt, cache, rowInvariantLinears: true);
        foreach (var token in plain.Tokens.Take(k)) model.Forward([token], cache, rowInvariantLinears: true);
        var expected = Reference.Generate(model, [.. prompt, .. plain.Tokens.Take(k + 1), .. forced], 12 - k - 4, cache: cache);
        Assert.Equal(expected.Tokens, result.Tokens.Skip(k + 4));
    }

    [Fact]
    public async Task Tokens_forced_at_the_start_come_first_and_are_computed_with_the_prompt()
    {
        var model = tiny.Model;
        var prompt = TinyModel.Prompt(801, 30);
        await using var engine = new LlmEngine(model);

        var result = await Run(engine, prompt, 5, new ForcedContinuation(null, [21, 22]));

        Assert.Equal([21, 22], result.Tokens.Take(2));
        Assert.Null(result.Logprobs[0]);
        Assert.Equal(5, result.Tokens.Count);
        Assert.Equal(Reference.Generate(model, [.. prompt, 21, 22], 3).Tokens, result.Tokens.Skip(2));
    }

    [Fact]
    public async Task A_forced_stop_token_ends_the_request_and_max_tokens_cuts_the_forced_run()
    {
        var prompt = TinyModel.Prompt(802, 20);
        await using var engine = new LlmEngine(tiny.Model);

        var stopped = await Run(engine, prompt, 10, new ForcedContinuation(null, [31, 32, 33]), stopIds: [32]);
        var cut = await Run(engine, prompt, 2, new ForcedContinuation(null, [31, 32, 33]));

        Assert.Equal([31, 32], stopped.Tokens);
        Assert.Equal(new EngineFinish(FinishReason.Stop, 20, 0, 2), stopped.Finish);
        Assert.Equal([31, 32], cut.Tokens);
        Assert.Equal(FinishReason.Length, cut.Finish.Reason);
    }

    [Fact]
    public async Task Logit_bias_steers_sampling_but_not_the_reported_logprob()
    {
        var prompt = TinyModel.Prompt(803, 20);
        await using var engine = new LlmEngine(tiny.Model);
        var plain = await EngineRun.Greedy(engine, prompt, 1);
        var target = plain.Tokens[0] == 77 ? 78 : 77;

        var biased = await EngineRun.Collect(engine.GenerateAsync(new EngineRequest
        {
            PromptTokens = prompt, MaxNewTokens = 1, Logprobs = true, LogitBias = new Dictionary<int, float> { [target] = 100 },
        }, TestContext.Current.CancellationToken));

        Assert.Equal(target, Assert.Single(biased.Tokens));
        Assert.True(biased.Logprobs[0]!.Logprob < plain.Logprobs[0]!.Logprob);
    }
}
