namespace SeekSharp.Engine.Tests;

/// <summary>Prompt scoring (echo + logprobs, lm-eval's loglikelihood): every prompt row's logits, chunked or not, never skipped by a prefix hit.</summary>
public sealed class PromptLogprobsTests(TinyModel tiny)
{
    private static async Task<(StreamResult Result, IReadOnlyList<TokenLogprob?> Prompt)> Score(LlmEngine engine, int[] prompt, int maxNew, int top)
    {
        IReadOnlyList<TokenLogprob?>? scored = null;
        var outputs = new List<EngineOutput>();
        async IAsyncEnumerable<EngineOutput> Watch()
        {
            await foreach (var output in engine.GenerateAsync(new EngineRequest
            {
                PromptTokens = prompt, MaxNewTokens = maxNew, IgnoreEos = true, Logprobs = true, PromptLogprobs = top,
            }))
            {
                if (outputs.Count == 0) scored = output.PromptLogprobs;
                else Assert.Null(output.PromptLogprobs);                   // only the first output carries them
                outputs.Add(output);
                yield return output;
            }
        }
        var result = await EngineRun.Collect(Watch());
        Assert.NotNull(scored);
        return (result, scored);
    }

    /// <summary>What prompt token i scores from logits row i-1.</summary>
    private static void AssertMatches(int[] prompt, float[] rowLogits, int vocab, IReadOnlyList<TokenLogprob?> scored, int top)
    {
        Assert.Equal(prompt.Length, scored.Count);
        Assert.Null(scored[0]);
        for (var i = 1; i < prompt.Length; i++)
        {
            var expected = Logprobs.Of(rowLogits.AsSpan((i - 1) * vocab, vocab), prompt[i], top);
            var actual = scored[i]!;
            Assert.Equal(expected.Logprob, actual.Logprob, 1e-4f);
            Assert.Equal(expected.Top.Select(t => t.TokenId), actual.Top.Select(t => t.TokenId));
        }
    }

    [Fact]
    public async Task Prompt_logprobs_equal_the_teacher_forced_score_and_generation_goes_on()
    {
        var model = tiny.Model;
        var prompt = TinyModel.Prompt(700, 90);
        await using var engine = new LlmEngine(model);
        var plain = await EngineRun.Greedy(engine, prompt, 4);            // first: a later run would hit its cached prefix

        var (result, scored) = await Score(engine, prompt, 4, 3);

        AssertMatches(prompt, model.Score(prompt), tiny.Vocab, scored, 3);
        Assert.Equal(plain.Tokens, result.Tokens);
        Assert.Equal(FinishReason.Length, result.Finish.Reason);
    }

    [Fact]
    public async Task Chunked_prefill_keeps_every_chunk_rows()
    {
        var model = tiny.Model;
        var prompt = TinyModel.Prompt(701, 100);
        await using var engine = new LlmEngine(model, new EngineOptions { PrefillChunkTokens = 32, MaxTokensPerStep = 64 });

        var (_, scored) = await Score(engine, prompt, 1, 2);

        // the same chunking through the plain forward: MHA for the first chunk, absorbed after it
        using var cache = model.NewCache();
        var rows = new List<float>();
        for (var start = 0; start < prompt.Length; start += 32)
            rows.AddRange(model.Forward(prompt.AsSpan(start, Math.Min(32, prompt.Length - start)), cache, allRows: true, rowInvariantLinears: true));
        AssertMatches(prompt, [.. rows], tiny.Vocab, scored, 2);
    }

    [Fact]
    public async Task A_cached_prefix_is_recomputed_when_the_prompt_is_scored()
    {
        var model = tiny.Model;
        var prompt = TinyModel.Prompt(702, 150);
        await using var engine = new LlmEngine(model, new EngineOptions { PrefixCaching = true });
        await EngineRun.Greedy(engine, prompt, 2);                       // caches two full blocks of this prompt

        var (result, scored) = await Score(engine, prompt, 1, 0);

        Assert.Equal(0, result.Finish.CachedPromptTokens);
        AssertMatches(prompt, model.Score(prompt), tiny.Vocab, scored, 0);
    }

    [Fact]
    public async Task Max_tokens_zero_scores_the_prompt_only()
    {
        var model = tiny.Model;
        var prompt = TinyModel.Prompt(703, 40);
        await using var engine = new LlmEngine(model);

        var (result, scored) = await Score(engine, prompt, 0, 1);

        Assert.Empty(result.Tokens);
        Assert.Equal(new EngineFinish(FinishReason.Length, 40, 0, 0), result.Finish);
        AssertMatches(prompt, model.Score(prompt), tiny.Vocab, scored, 1);
    }

    [Fact]
    public async Task Max_tokens_zero_without_prompt_logprobs_is_refused()
    {
        await using var engine = new LlmEngine(tiny.Model);
        var error = Assert.Throws<EngineRequestException>(() => engine.GenerateAsync(new EngineRequest { PromptTokens = [5, 6], MaxNewTokens = 0 }, TestContext.Current.CancellationToken));
        Assert.Equal("max_tokens", error.Field);
    }
}
