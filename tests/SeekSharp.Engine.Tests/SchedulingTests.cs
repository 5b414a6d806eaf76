namespace SeekSharp.Engine.Tests;

/// <summary>Preemption, cancellation, the bounded queue and up-front rejection.</summary>
public sealed class SchedulingTests(TinyModel tiny)
{
    [Fact]
    public async Task A_tiny_pool_preempts_and_still_finishes_every_request_with_its_alone_output()
    {
        // 6 blocks = 384 positions; four requests grow to 170 positions (3 blocks) each
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { KvBlocks = 6, MaxRunningSequences = 4, PrefixCaching = false });
        var prompts = Enumerable.Range(0, 4).Select(i => TinyModel.Prompt(500 + i, 110)).ToArray();
        var results = await Task.WhenAll(prompts.Select(p => EngineRun.Greedy(engine, p, 60)));

        var metrics = await EngineRun.Idle(engine);
        Assert.True(metrics.Preemptions > 0, "the pool was large enough: nothing was preempted");
        Assert.Equal(0, metrics.KvBlocksUsed);
        // a recompute replays the first (MHA) chunk and continues in the absorbed form, as the first run did: same bits
        for (var i = 0; i < prompts.Length; i++)
        {
            var expected = Reference.Generate(tiny.Model, prompts[i], 60);
            Assert.Equal(expected.Tokens, results[i].Tokens);
            Assert.Equal((float)Reference.LogSoftmax(expected.Logits[^1])[expected.Tokens[^1]], results[i].Logprobs[^1]!.Logprob);
        }
    }

    [Fact]
    public async Task Cancelling_a_request_frees_its_blocks_and_the_others_finish()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { PrefixCaching = false });
        using var cancel = new CancellationTokenSource();
        var victim = engine.GenerateAsync(new EngineRequest { PromptTokens = TinyModel.Prompt(600, 90), MaxNewTokens = 150, IgnoreEos = true }, cancel.Token);
        var others = new[] { TinyModel.Prompt(601, 30), TinyModel.Prompt(602, 70) }.Select(p => EngineRun.Greedy(engine, p, 40)).ToArray();

        var received = 0;
        EngineFinish? finish = null;
        await foreach (var output in victim)
        {
            if (output.TokenId >= 0 && ++received == 3) cancel.Cancel();
            finish = output.Finish;
        }
        Assert.Equal(FinishReason.Cancelled, finish!.Reason);
        Assert.InRange(finish.CompletionTokens, 3, 149);

        var done = await Task.WhenAll(others);
        Assert.All(done, r => Assert.Equal(40, r.Tokens.Count));
        var metrics = await EngineRun.Idle(engine);
        Assert.Equal(0, metrics.KvBlocksUsed);
        Assert.Equal(3, metrics.RequestsFinished);
    }

    [Fact]
    public async Task A_caller_that_stops_reading_frees_the_request()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { PrefixCaching = false });
        var stream = engine.GenerateAsync(new EngineRequest { PromptTokens = TinyModel.Prompt(605, 100), MaxNewTokens = 150, IgnoreEos = true },
            TestContext.Current.CancellationToken);
        var read = 0;
        await foreach (var output in stream)
            if (++read == 2) break;                                      // e.g. the HTTP client went away
        var metrics = await EngineRun.Idle(engine);
        Assert.Equal(0, metrics.KvBlocksUsed);
        Assert.Equal(1, metrics.RequestsFinished);
        Assert.True(metrics.GeneratedTokens < 150, $"{metrics.GeneratedTokens} tokens: the request ran to the end");
    }

    [Fact]
    public async Task Cancelling_a_queued_request_ends_it_without_running_it()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { MaxRunningSequences = 1 });
        var running = EngineRun.Greedy(engine, TinyModel.Prompt(610, 20), 30);
        using var cancel = new CancellationTokenSource();
        var queued = EngineRun.Collect(engine.GenerateAsync(new EngineRequest { PromptTokens = TinyModel.Prompt(611, 20), MaxNewTokens = 5 }, cancel.Token));
        cancel.Cancel();
        var result = await queued;
        Assert.Equal(FinishReason.Cancelled, result.Finish.Reason);
        Assert.Empty(result.Tokens);
        Assert.Equal(30, (await running).Tokens.Count);
    }

    [Fact]
    public async Task A_full_queue_refuses_with_EngineOverloadedException()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { MaxRunningSequences = 1, MaxQueuedRequests = 2 });
        using var cancel = new CancellationTokenSource();
        var request = new EngineRequest { PromptTokens = TinyModel.Prompt(620, 10), MaxNewTokens = 200, IgnoreEos = true };
        var accepted = new List<IAsyncEnumerable<EngineOutput>>();
        // one request runs at a time; at most one has left the queue, so the fourth cannot fit two queue slots
        var refused = Assert.Throws<EngineOverloadedException>(() =>
        {
            for (var i = 0; i < 4; i++) accepted.Add(engine.GenerateAsync(request, cancel.Token));
        });
        Assert.InRange(accepted.Count, 2, 3);
        Assert.Contains("queue is full", refused.Message);
        cancel.Cancel();
        foreach (var stream in accepted) Assert.Equal(FinishReason.Cancelled, (await EngineRun.Collect(stream)).Finish.Reason);
    }

    [Fact]
    public async Task Requests_that_can_never_fit_are_rejected_up_front_naming_the_field()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { KvBlocks = 3 });   // 192 positions < 256
        Assert.Equal(192, engine.Model.MaxContextTokens);
        var tooLong = Assert.Throws<EngineRequestException>(() => engine.GenerateAsync(new EngineRequest { PromptTokens = TinyModel.Prompt(630, 200) }, TestContext.Current.CancellationToken));
        Assert.Equal("messages", tooLong.Field);
        Assert.Contains("192", tooLong.Message);
        var tooMany = Assert.Throws<EngineRequestException>(() => engine.GenerateAsync(new EngineRequest { PromptTokens = TinyModel.Prompt(631, 100), MaxNewTokens = 100 }, TestContext.Current.CancellationToken));
        Assert.Equal("max_tokens", tooMany.Field);
        Assert.Contains("at most 92", tooMany.Message);
        Assert.Equal("messages", Assert.Throws<EngineRequestException>(() => engine.GenerateAsync(new EngineRequest { PromptTokens = [5, 1024] }, TestContext.Current.CancellationToken)).Field);
        Assert.Equal("top_p", Assert.Throws<EngineRequestException>(() => engine.GenerateAsync(new EngineRequest { PromptTokens = [5], MaxNewTokens = 4, TopP = 0 }, TestContext.Current.CancellationToken)).Field);
        Assert.Equal(0, engine.GetMetrics().Waiting);
    }

    [Fact]
    public async Task Eos_ends_a_request_with_Stop_unless_ignored()
    {
        var prompt = TinyModel.Prompt(640, 30);
        var greedy = Reference.Generate(tiny.Model, prompt, 8).Tokens;
        // declare the 4th greedy token an end-of-sequence token
        await using var engine = new LlmEngine(tiny.Model, eosTokenIds: [greedy[3]]);
        Assert.Equal([greedy[3]], engine.Model.EosTokenIds);
        var stopped = await EngineRun.Collect(engine.GenerateAsync(new EngineRequest { PromptTokens = prompt, MaxNewTokens = 8 }, TestContext.Current.CancellationToken));
        Assert.Equal(FinishReason.Stop, stopped.Finish.Reason);
        Assert.Equal(greedy[..(greedy.IndexOf(greedy[3]) + 1)], stopped.Tokens);
        var stopToken = await EngineRun.Collect(engine.GenerateAsync(new EngineRequest { PromptTokens = prompt, MaxNewTokens = 8, IgnoreEos = true, StopTokenIds = [greedy[5]] }, TestContext.Current.CancellationToken));
        Assert.Equal(FinishReason.Stop, stopToken.Finish.Reason);
        Assert.Equal(greedy[5], stopToken.Tokens[^1]);
        var ignored = await EngineRun.Greedy(engine, prompt, 8);
        Assert.Equal(greedy, ignored.Tokens);
    }
}
