namespace SeekSharp.Engine.Tests;

/// <summary>What a test reads back from one streamed request.</summary>
public sealed record StreamResult(List<int> Tokens, List<TokenLogprob?> Logprobs, EngineFinish Finish);

public static class EngineRun
{
    public static async Task<StreamResult> Collect(IAsyncEnumerable<EngineOutput> stream)
    {
        var tokens = new List<int>();
        var logprobs = new List<TokenLogprob?>();
        EngineFinish? finish = null;
        await foreach (var output in stream)
        {
            Assert.Null(finish);                                         // nothing after the final output
            if (output.TokenId >= 0)
            {
                tokens.Add(output.TokenId);
                logprobs.Add(output.Logprob);
            }
            finish = output.Finish;
        }
        Assert.NotNull(finish);
        return new StreamResult(tokens, logprobs, finish);
    }

    public static Task<StreamResult> Greedy(IInferenceEngine engine, int[] prompt, int maxNew, bool logprobs = true) =>
        Collect(engine.GenerateAsync(new EngineRequest { PromptTokens = prompt, MaxNewTokens = maxNew, IgnoreEos = true, Logprobs = logprobs }));

    /// <summary>Waits until the engine thread has settled (no running or waiting request).</summary>
    public static async Task<EngineMetrics> Idle(IInferenceEngine engine)
    {
        for (var i = 0; i < 500; i++)
        {
            var metrics = engine.GetMetrics();
            if (metrics.Running == 0 && metrics.Waiting == 0) return metrics;
            await Task.Delay(10);
        }
        throw new TimeoutException("the engine did not go idle");
    }
}
