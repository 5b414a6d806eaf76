using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Testing;

namespace SeekSharp.Engine.Tests;

/// <summary>Continuous batching changes no sequence's numerics: batched steps give each sequence the bits it gets alone.</summary>
public sealed class BatchingTests(TinyModel tiny)
{
    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]                                             // FP8 linears: act-quant per row, block-scaled GEMM
    public void A_batched_step_gives_each_sequence_the_logits_of_running_it_alone(string checkpoint)
    {
        using var fp8 = checkpoint == "tiny-bf16" ? null : DeepSeekV32Model.Load(SharedData.GoldenModel(checkpoint), new CpuBackend());
        var model = fp8 ?? tiny.Model;
        var decodePrompt = TinyModel.Prompt(1, 70);                      // then one decode token (absorbed form)
        var prefill = TinyModel.Prompt(2, 45);                           // MHA prefill from position 0
        var continued = TinyModel.Prompt(3, 90);                         // a second chunk at position 40 (absorbed)

        // alone: each sequence through Forward with a cache of its own
        using var aloneDecode = model.NewCache();
        model.Forward(decodePrompt, aloneDecode, rowInvariantLinears: true);
        var expectDecode = model.Forward([7], aloneDecode, rowInvariantLinears: true);
        using var alonePrefill = model.NewCache();
        var expectPrefill = model.Forward(prefill, alonePrefill, rowInvariantLinears: true);
        using var aloneContinued = model.NewCache();
        model.Forward(continued.AsSpan(0, 40), aloneContinued, rowInvariantLinears: true);
        var expectContinued = model.Forward(continued.AsSpan(40), aloneContinued, rowInvariantLinears: true);

        // together: the same three chunks in one step
        using var decodeCache = model.NewCache();
        model.Forward(decodePrompt, decodeCache, rowInvariantLinears: true);
        using var prefillCache = model.NewCache();
        using var continuedCache = model.NewCache();
        model.Forward(continued.AsSpan(0, 40), continuedCache, rowInvariantLinears: true);
        decodeCache.Reserve(71);
        prefillCache.Reserve(45);
        continuedCache.Reserve(90);
        var batched = model.ForwardBatch([
            new BatchSequence(new[] { 7 }, 70, decodeCache),
            new BatchSequence(prefill, 0, prefillCache),
            new BatchSequence(continued.AsMemory(40), 40, continuedCache),
        ]);

        var vocab = model.Config.VocabSize;
        Assert.Equal(expectDecode, batched[..vocab]);
        Assert.Equal(expectPrefill, batched[vocab..(2 * vocab)]);
        Assert.Equal(expectContinued, batched[(2 * vocab)..]);
    }

    [Fact]
    public async Task Concurrent_greedy_requests_equal_each_run_alone_through_Forward()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { MaxRunningSequences = 8 });
        int[] lengths = [5, 17, 40, 64, 65, 100, 130, 31];
        var prompts = lengths.Select((n, i) => TinyModel.Prompt(100 + i, n)).ToArray();
        var results = await Task.WhenAll(prompts.Select(p => EngineRun.Greedy(engine, p, 12)));

        for (var i = 0; i < prompts.Length; i++)
        {
            var expected = Reference.Generate(tiny.Model, prompts[i], 12);
            Assert.Equal(expected.Tokens, results[i].Tokens);
            for (var j = 0; j < expected.Tokens.Count; j++)
            {
                // the logprob is a function of the whole logit row: equal floats here mean the engine saw the same logits
                var logSoftmax = Reference.LogSoftmax(expected.Logits[j]);
                Assert.Equal((float)logSoftmax[expected.Tokens[j]], results[i].Logprobs[j]!.Logprob);
            }
            Assert.Equal(new EngineFinish(FinishReason.Length, prompts[i].Length, 0, 12), results[i].Finish);
        }
        var metrics = await EngineRun.Idle(engine);
        Assert.True(metrics.Steps < prompts.Length * 12, $"{metrics.Steps} steps: the requests were not batched");
        Assert.Equal(prompts.Length * 12L, metrics.GeneratedTokens);
        Assert.Equal(lengths.Sum(), metrics.PromptTokens);
    }

    [Fact]
    public async Task Thirty_two_concurrent_streaming_requests_all_complete_with_their_alone_outputs()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { MaxRunningSequences = 32, MaxTokensPerStep = 512 });
        var prompts = Enumerable.Range(0, 32).Select(i => TinyModel.Prompt(200 + i, 8 + i * 2)).ToArray();
        var results = await Task.WhenAll(prompts.Select(p => Task.Run(() => EngineRun.Greedy(engine, p, 6, logprobs: false))));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(FinishReason.Length, results[i].Finish.Reason);
            Assert.Equal(Reference.Generate(tiny.Model, prompts[i], 6).Tokens, results[i].Tokens);
        }
        var metrics = await EngineRun.Idle(engine);
        Assert.Equal(32, metrics.RequestsFinished);
        Assert.True(metrics.Steps <= 12, $"{metrics.Steps} steps for 32 × (prefill + 5 decodes): expected them batched");
    }

    [Fact]
    public async Task Without_batch_invariance_a_lone_request_matches_the_plain_Forward_loop()
    {
        // BatchInvariant off: one sequence alone takes the 1-row kernels, exactly as the CLI's Forward loop does
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { BatchInvariant = false });
        var prompt = TinyModel.Prompt(310, 70);
        var result = await EngineRun.Greedy(engine, prompt, 10);
        using var cache = tiny.Model.NewCache();
        var logits = tiny.Model.Forward(prompt, cache);
        for (var j = 0; j < 10; j++)
        {
            Assert.Equal((float)Reference.LogSoftmax(logits)[result.Tokens[j]], result.Logprobs[j]!.Logprob);
            Assert.Equal(Models.Sampling.Sampler.ArgMax(logits), result.Tokens[j]);
            logits = tiny.Model.Forward([result.Tokens[j]], cache);
        }
    }

    [Fact]
    public async Task Chunked_prefill_equals_a_fresh_run_with_the_same_chunking()
    {
        await using var engine = new LlmEngine(tiny.Model, new EngineOptions { PrefillChunkTokens = 48, MaxTokensPerStep = 64 });
        var prompt = TinyModel.Prompt(300, 150);
        var others = new[] { TinyModel.Prompt(301, 20), TinyModel.Prompt(302, 60) };
        var all = await Task.WhenAll([EngineRun.Greedy(engine, prompt, 10), .. others.Select(p => EngineRun.Greedy(engine, p, 10))]);

        // the first chunk (48 tokens from position 0) takes the MHA form, the later chunks the absorbed form
        var expected = Reference.Generate(tiny.Model, prompt, 10, chunk: 48);
        Assert.Equal(expected.Tokens, all[0].Tokens);
        for (var j = 0; j < expected.Tokens.Count; j++)
            Assert.Equal((float)Reference.LogSoftmax(expected.Logits[j])[expected.Tokens[j]], all[0].Logprobs[j]!.Logprob);
        Assert.Equal(Reference.Generate(tiny.Model, others[1], 10, chunk: 48).Tokens, all[2].Tokens);
    }
}
