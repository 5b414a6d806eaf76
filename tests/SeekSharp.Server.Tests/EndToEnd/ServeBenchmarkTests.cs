using SeekSharp.Server.Benchmarking;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>The `seek bench serve` load generator against the running server.</summary>
public sealed class ServeBenchmarkTests(ServerFixture server)
{
    [Fact]
    public async Task A_small_burst_completes_every_request_with_exact_output_lengths_and_cache_hits()
    {
        var options = new ServeBenchmarkOptions
        {
            BaseUrl = server.BaseAddress,
            NumRequests = 8,
            InputLength = 16,
            OutputLength = 4,
            PrefixLength = 64,   // one whole KV block shared by every prompt
            Seed = 3,
        };

        var result = await new ServeBenchmark(options, server.Http).RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(8, result.Completed);
        Assert.Equal(0, result.Failed);
        Assert.Equal(ServerFixture.ModelName, result.Model);
        Assert.Equal(8 * 4, result.TotalOutputTokens);                // ignore_eos: exactly the asked length
        Assert.Equal(8 * (64 + 16), result.TotalInputTokens);
        Assert.Equal(8, result.Ttft.Count);
        Assert.True(result.Ttft.P50Ms <= result.Ttft.P99Ms);
        Assert.NotNull(result.PrefixCacheHitRate);
        Assert.InRange(result.PrefixCacheHitRate.Value, 0.0, 1.0);
        Assert.Contains("Output token throughput", ServeBenchmark.Format(result), StringComparison.Ordinal);
    }
}
