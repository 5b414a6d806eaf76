using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using SeekSharp.Engine;

namespace SeekSharp.Server.Metrics;

/// <summary>
/// What the HTTP layer measures itself (time to first token, time per output token, end-to-end latency, responses by
/// status, generated tokens per second), rendered together with the engine's counters as Prometheus text.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] s_ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
    private static readonly double[] s_tpotBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10];
    private static readonly double[] s_latencyBuckets = [0.01, 0.05, 0.1, 0.3, 0.5, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 300];

    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _responses = new();
    private long _streamsOpen;

    public Histogram TimeToFirstToken { get; } = new("seeksharp_time_to_first_token_seconds", "Request arrival to first generated token, measured in the server.", s_ttftBuckets);

    public Histogram TimePerOutputToken { get; } = new("seeksharp_time_per_output_token_seconds", "Mean time between generated tokens after the first, per request.", s_tpotBuckets);

    public Histogram RequestLatency { get; } = new("seeksharp_e2e_request_latency_seconds", "Request arrival to last token.", s_latencyBuckets);

    public ThroughputMeter GeneratedTokens { get; } = new();

    public void CountResponse(string endpoint, int status) => _responses.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);

    public void StreamOpened() => Interlocked.Increment(ref _streamsOpen);

    public void StreamClosed() => Interlocked.Decrement(ref _streamsOpen);

    /// <summary>Records one finished generation's timing (Stopwatch timestamps).</summary>
    public void RecordGeneration(long arrived, long firstToken, long lastToken, int generatedTokens)
    {
        TimeToFirstToken.Observe(Seconds(arrived, firstToken));
        RequestLatency.Observe(Seconds(arrived, lastToken));
        if (generatedTokens > 1) TimePerOutputToken.Observe(Seconds(firstToken, lastToken) / (generatedTokens - 1));
    }

    public string Render(EngineMetrics engine)
    {
        var text = new StringBuilder();
        Gauge(text, "seeksharp_requests_waiting", "Requests queued in the engine, not yet scheduled (queue depth).", engine.Waiting);
        Gauge(text, "seeksharp_requests_running", "Requests holding KV-cache blocks.", engine.Running);
        Gauge(text, "seeksharp_kv_blocks_used", "KV-cache blocks in use or kept by the prefix cache.", engine.KvBlocksUsed);
        Gauge(text, "seeksharp_kv_blocks_total", "KV-cache blocks in the pool.", engine.KvBlocksTotal);
        Gauge(text, "seeksharp_kv_cache_usage_ratio", "Fraction of KV-cache blocks in use.", engine.KvBlocksTotal == 0 ? 0 : (double)engine.KvBlocksUsed / engine.KvBlocksTotal);
        Gauge(text, "seeksharp_prefix_cache_hit_rate", "Prompt tokens found in the prefix cache / prompt tokens looked up, since start.", engine.PrefixHitRate);
        Gauge(text, "seeksharp_generation_tokens_per_second", "Generated tokens per second over the last 10 s (server-side).", GeneratedTokens.PerSecond());
        Gauge(text, "seeksharp_streams_open", "Streaming responses in progress.", Interlocked.Read(ref _streamsOpen));
        Counter(text, "seeksharp_requests_finished_total", "Requests the engine finished.", engine.RequestsFinished);
        Counter(text, "seeksharp_prompt_tokens_total", "Prompt tokens processed.", engine.PromptTokens);
        Counter(text, "seeksharp_generation_tokens_total", "Tokens generated.", engine.GeneratedTokens);
        Counter(text, "seeksharp_prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.", engine.PrefixQueriedTokens);
        Counter(text, "seeksharp_prefix_cache_hits_total", "Prompt tokens found in the prefix cache.", engine.PrefixHitTokens);
        Counter(text, "seeksharp_preemptions_total", "Requests preempted for cache space.", engine.Preemptions);
        Counter(text, "seeksharp_engine_steps_total", "Engine steps run.", engine.Steps);
        TimeToFirstToken.WriteTo(text);
        TimePerOutputToken.WriteTo(text);
        RequestLatency.WriteTo(text);
        text.Append("# HELP seeksharp_http_responses_total HTTP responses by endpoint and status.\n# TYPE seeksharp_http_responses_total counter\n");
        foreach (var ((endpoint, status), count) in _responses.OrderBy(p => p.Key.Endpoint, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            text.Append("seeksharp_http_responses_total{endpoint=\"").Append(endpoint).Append("\",status=\"").Append(status).Append("\"} ").Append(count).Append('\n');
        return text.ToString();
    }

    private static double Seconds(long from, long to) => (to - from) / (double)System.Diagnostics.Stopwatch.Frequency;

    private static void Gauge(StringBuilder text, string name, string help, double value) => Metric(text, name, help, "gauge", value);

    private static void Counter(StringBuilder text, string name, string help, double value) => Metric(text, name, help, "counter", value);

    private static void Metric(StringBuilder text, string name, string help, string type, double value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n')
            .Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
}
