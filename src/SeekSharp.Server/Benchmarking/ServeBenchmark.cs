using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SeekSharp.Server.Benchmarking;

/// <summary>
/// Load generator for an OpenAI-compatible server: random-token prompts of random lengths sent as streaming
/// /v1/completions at a Poisson request rate; per-request TTFT, inter-token latencies and TPOT from the SSE
/// arrival times; throughput over the whole run; prefix-cache hit rate from the server's /metrics.
/// </summary>
public sealed class ServeBenchmark(ServeBenchmarkOptions options, HttpClient? client = null)
{
    private readonly HttpClient _client = client ?? new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4096 })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<ServeBenchmarkResult> RunAsync(TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        var model = options.Model ?? await FirstModelAsync(cancellationToken).ConfigureAwait(false);
        var random = new Random(options.Seed);
        var prompts = BuildPrompts(random);
        var cacheBefore = await ScrapeCacheCountersAsync(cancellationToken).ConfigureAwait(false);

        using var gate = options.MaxConcurrency > 0 ? new SemaphoreSlim(options.MaxConcurrency) : null;
        var tasks = new List<Task<RequestMeasurement>>();
        var started = Stopwatch.GetTimestamp();
        foreach (var (prompt, outputLength) in prompts)
        {
            if (tasks.Count > 0 && double.IsFinite(options.RequestRate))
                await Task.Delay(TimeSpan.FromSeconds(-Math.Log(1 - random.NextDouble()) / options.RequestRate), cancellationToken).ConfigureAwait(false);
            if (gate is not null) await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            tasks.Add(SendGatedAsync(model, prompt, outputLength, gate, cancellationToken));
        }
        var measurements = await Task.WhenAll(tasks).ConfigureAwait(false);
        var duration = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cacheAfter = await ScrapeCacheCountersAsync(cancellationToken).ConfigureAwait(false);

        var ok = measurements.Where(m => m.Success).ToList();
        long inputTokens = ok.Sum(m => (long)m.PromptTokens), outputTokens = ok.Sum(m => (long)m.OutputTokens);
        double? hitRate = cacheBefore is { } b && cacheAfter is { } a && a.Queried > b.Queried
            ? (double)(a.Hits - b.Hits) / (a.Queried - b.Queried)
            : null;
        var result = new ServeBenchmarkResult(
            DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture), model, options.BaseUrl.ToString(),
            options.NumRequests, options.RequestRate, options.MaxConcurrency, options.InputLength, options.OutputLength, options.RangeRatio,
            options.PrefixLength, ok.Count, measurements.Length - ok.Count, duration, inputTokens, outputTokens,
            ok.Count / duration, outputTokens / duration, (inputTokens + outputTokens) / duration,
            LatencySummary.Of(ok.Select(m => m.Ttft)),
            LatencySummary.Of(ok.Where(m => m.Tpot is not null).Select(m => m.Tpot!.Value)),
            LatencySummary.Of(ok.SelectMany(m => m.InterTokenLatencies)),
            LatencySummary.Of(ok.Select(m => m.Latency)),
            hitRate,
            [.. measurements.Where(m => !m.Success).Select(m => m.Error!).Distinct().Take(10)]);
        progress?.Write(Format(result));
        return result;
    }

    public static string Format(ServeBenchmarkResult r)
    {
        var text = new StringBuilder();
        var rate = double.IsFinite(r.RequestRate) ? r.RequestRate.ToString("G4", CultureInfo.InvariantCulture) : "inf";
        text.AppendLine(CultureInfo.InvariantCulture, $"============ Serving Benchmark Result ============");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Model:",-40}{r.Model}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Request rate (req/s):",-40}{rate}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Successful requests:",-40}{r.Completed}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Failed requests:",-40}{r.Failed}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Benchmark duration (s):",-40}{r.DurationSeconds:F2}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Total input tokens:",-40}{r.TotalInputTokens}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Total generated tokens:",-40}{r.TotalOutputTokens}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Request throughput (req/s):",-40}{r.RequestThroughput:F2}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Output token throughput (tok/s):",-40}{r.OutputThroughput:F2}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Total token throughput (tok/s):",-40}{r.TotalTokenThroughput:F2}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Prefix cache hit rate:",-40}{(r.PrefixCacheHitRate is { } h ? h.ToString("P1", CultureInfo.InvariantCulture) : "n/a")}");
        foreach (var (name, s) in new[] { ("TTFT", r.Ttft), ("TPOT", r.Tpot), ("ITL", r.Itl), ("E2E latency", r.E2eLatency) })
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{"Mean " + name + " (ms):",-40}{s.MeanMs:F2}");
            text.AppendLine(CultureInfo.InvariantCulture, $"{"Median " + name + " (ms):",-40}{s.P50Ms:F2}");
            text.AppendLine(CultureInfo.InvariantCulture, $"{"P99 " + name + " (ms):",-40}{s.P99Ms:F2}");
        }
        foreach (var error in r.Errors) text.AppendLine(CultureInfo.InvariantCulture, $"error: {error}");
        text.AppendLine("==================================================");
        return text.ToString();
    }

    private List<(int[] Prompt, int OutputLength)> BuildPrompts(Random random)
    {
        int Draw(int length) => Math.Max(1, (int)Math.Round(length * (1 + options.RangeRatio * (2 * random.NextDouble() - 1))));
        int Token() => random.Next(options.FirstTokenId, options.LastTokenId + 1);
        var prefix = Enumerable.Range(0, options.PrefixLength).Select(_ => Token()).ToArray();
        var prompts = new List<(int[] Prompt, int OutputLength)>(options.NumRequests);
        for (var i = 0; i < options.NumRequests; i++)
        {
            int[] prompt = [.. prefix, .. Enumerable.Range(0, Draw(options.InputLength)).Select(_ => Token())];
            prompts.Add((prompt, Draw(options.OutputLength)));
        }
        return prompts;
    }

    private async Task<RequestMeasurement> SendGatedAsync(string model, int[] prompt, int outputLength, SemaphoreSlim? gate, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync(model, prompt, outputLength, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate?.Release();
        }
    }

    private async Task<RequestMeasurement> SendAsync(string model, int[] prompt, int outputLength, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["prompt"] = prompt,
            ["max_tokens"] = outputLength,
            ["temperature"] = 0,
            ["ignore_eos"] = options.IgnoreEos,
            ["stream"] = true,
            ["stream_options"] = new Dictionary<string, object> { ["include_usage"] = true },
        }, BenchmarkJsonContext.Default.DictionaryStringObject);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.BaseUrl, "v1/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);

        var start = Stopwatch.GetTimestamp();
        double? ttft = null;
        var last = start;
        var itl = new List<double>();
        var outputTokens = 0;
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return Failed(prompt, $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = line.AsMemory(6);
                if (data.Span.SequenceEqual("[DONE]")) break;
                var now = Stopwatch.GetTimestamp();
                using var chunk = JsonDocument.Parse(data);
                var root = chunk.RootElement;
                if (root.TryGetProperty("error", out var error)) return Failed(prompt, error.GetRawText());
                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    outputTokens = usage.GetProperty("completion_tokens").GetInt32();
                var choices = root.GetProperty("choices");
                if (choices.GetArrayLength() == 0 || choices[0].GetProperty("text").GetString() is not { Length: > 0 }) continue;
                if (ttft is null) ttft = Stopwatch.GetElapsedTime(start, now).TotalSeconds;
                else itl.Add(Stopwatch.GetElapsedTime(last, now).TotalSeconds);
                last = now;
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Failed(prompt, e.Message);
        }
        var latency = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new RequestMeasurement(true, prompt.Length, outputTokens, ttft ?? latency, latency, itl, null);
    }

    private static RequestMeasurement Failed(int[] prompt, string error) => new(false, prompt.Length, 0, 0, 0, [], error);

    private async Task<string> FirstModelAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.BaseUrl, "v1/models"));
        if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var models = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return models.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    private async Task<(long Queried, long Hits)?> ScrapeCacheCountersAsync(CancellationToken cancellationToken)
    {
        try
        {
            var text = await _client.GetStringAsync(new Uri(options.BaseUrl, "metrics"), cancellationToken).ConfigureAwait(false);
            long? queried = null, hits = null;
            foreach (var line in text.Split('\n'))
            {
                var parts = line.Split(' ');
                if (parts.Length != 2) continue;
                if (parts[0] == "seeksharp_prefix_cache_queries_total") queried = (long)double.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts[0] == "seeksharp_prefix_cache_hits_total") hits = (long)double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return queried is { } q && hits is { } h ? (q, h) : null;
        }
        catch (HttpRequestException)
        {
            return null;   // not a SeekSharp server: no cache figures
        }
    }
}
