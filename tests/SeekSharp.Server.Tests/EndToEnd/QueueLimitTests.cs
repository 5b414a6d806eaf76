using System.Text;
using SeekSharp.Cpu;
using SeekSharp.Engine;
using SeekSharp.Server.Hosting;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>A full engine queue is a 429 with Retry-After for the newcomer only; once the queue drains, requests are served again.</summary>
public sealed class QueueLimitTests : IAsyncLifetime
{
    private CpuBackend? _backend;
    private LlmEngine? _engine;
    private SeekSharpServer? _server;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(5) };

    public async ValueTask InitializeAsync()
    {
        _backend = new CpuBackend(1);
        _engine = LlmEngine.Load(TestModel.Directory, _backend, new EngineOptions { ModelName = "queue-test", MaxRunningSequences = 1, MaxQueuedRequests = 1 });
        _server = SeekSharpServer.Create(_engine, TestTokenizer.Instance, new ServerListenOptions("127.0.0.1", 0));
        await _server.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        if (_engine is not null) await _engine.DisposeAsync();
        _backend?.Dispose();
    }

    [Fact]
    public async Task The_request_past_the_bounded_queue_gets_429_and_the_server_serves_again_once_the_queue_drains()
    {
        var url = new Uri(_server!.BaseAddress, "v1/completions");
        const string longRequest = """{"model": "queue-test", "prompt": "go", "max_tokens": 3000, "ignore_eos": true, "temperature": 0, "stream": true}""";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        // A runs (its first event arrived), B waits in the queue
        using var a = await _http.SendAsync(Post(url, longRequest), HttpCompletionOption.ResponseHeadersRead, stop.Token);
        using var aReader = new StreamReader(await a.Content.ReadAsStreamAsync(stop.Token));
        Assert.StartsWith("data: ", await aReader.ReadLineAsync(stop.Token), StringComparison.Ordinal);
        var b = _http.SendAsync(Post(url, """{"model": "queue-test", "prompt": "wait", "max_tokens": 2}"""), stop.Token);
        using (var hangGuard = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
        {
            hangGuard.CancelAfter(TimeSpan.FromMinutes(2));   // not a timing assertion: only keeps a broken queue from hanging the run
            while (_engine!.GetMetrics().Waiting < 1) await Task.Delay(10, hangGuard.Token);
        }

        using var c = await _http.SendAsync(Post(url, """{"model": "queue-test", "prompt": "too many", "max_tokens": 2}"""), stop.Token);
        var body = await c.Content.ReadAsStringAsync(stop.Token);

        Assert.Equal(429, (int)c.StatusCode);
        Assert.Equal("1", c.Headers.RetryAfter?.ToString());
        Assert.Contains("\"rate_limit_error\"", body, StringComparison.Ordinal);

        await stop.CancelAsync();   // A's and B's clients leave; the engine frees both at its next step
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        using (var hangGuard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            hangGuard.CancelAfter(TimeSpan.FromMinutes(2));
            while (_engine.GetMetrics() is { Waiting: > 0 } or { Running: > 0 }) await Task.Delay(10, hangGuard.Token);
        }
        using var after = await _http.SendAsync(Post(url, """{"model": "queue-test", "prompt": "after", "max_tokens": 2}"""), TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)after.StatusCode);
    }

    private static HttpRequestMessage Post(Uri url, string json) =>
        new(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
