using System.Diagnostics;
using SeekSharp.Engine;
using SeekSharp.Server.Metrics;

namespace SeekSharp.Server.Tests.Hosting;

public sealed class ServerMetricsTests
{
    [Fact]
    public void Prometheus_text_has_engine_gauges_and_cumulative_histograms()
    {
        var metrics = new ServerMetrics();
        var start = Stopwatch.GetTimestamp();
        var f = Stopwatch.Frequency;
        metrics.RecordGeneration(start, start + f / 20, start + f / 20 + f / 10, generatedTokens: 11);   // TTFT 0.05 s, TPOT 0.01 s
        metrics.CountResponse("chat_completions", 200);
        metrics.CountResponse("chat_completions", 400);

        var text = metrics.Render(new EngineMetrics(3, 2, 10, 100, 5, 50, 60, 40, 10, 0, 7));

        Assert.Contains("seeksharp_requests_waiting 3\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_requests_running 2\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_prefix_cache_hit_rate 0.25\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_time_to_first_token_seconds_bucket{le=\"0.04\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_time_to_first_token_seconds_bucket{le=\"0.06\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_time_to_first_token_seconds_bucket{le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_time_per_output_token_seconds_bucket{le=\"0.01\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("seeksharp_http_responses_total{endpoint=\"chat_completions\",status=\"400\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Throughput_meter_averages_whole_past_seconds()
    {
        var meter = new ThroughputMeter(windowSeconds: 4);
        var f = Stopwatch.Frequency;
        var t0 = 1000 * f;
        meter.Add(8, t0);
        meter.Add(4, t0 + f);
        meter.Add(100, t0 + 2 * f);   // the current second does not count yet

        Assert.Equal(3.0, meter.PerSecond(t0 + 2 * f));
    }
}
