using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;
using SeekSharp.Server.Endpoints;

namespace SeekSharp.Server.Hosting;

/// <summary>Where Kestrel listens. Loopback by default: exposing the model is an explicit choice.</summary>
public sealed record ServerListenOptions(string Host = "127.0.0.1", int Port = 8000);

/// <summary>A Kestrel host serving one engine through the OpenAI-compatible endpoints (`seek serve` and the tests).</summary>
public sealed class SeekSharpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SeekSharpServer(WebApplication app, OpenAiService service)
    {
        _app = app;
        Service = service;
    }

    public OpenAiService Service { get; }

    /// <summary>The bound address (http://127.0.0.1:PORT), known after <see cref="StartAsync"/>; port 0 picks a free port.</summary>
    public Uri BaseAddress =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static SeekSharpServer Create(
        IInferenceEngine engine, DeepSeekTokenizer tokenizer, ServerListenOptions listen, OpenAiServerOptions? options = null, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (listen.Host is "localhost") kestrel.ListenLocalhost(listen.Port);
            else if (IPAddress.TryParse(listen.Host, out var address)) kestrel.Listen(address, listen.Port);
            else throw new ArgumentException($"--host '{listen.Host}': expected an IP address or localhost", nameof(listen));
        });
        var app = builder.Build();
        var service = app.MapOpenAiEndpoints(engine, tokenizer, options);
        return new SeekSharpServer(app, service);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>After <see cref="StartAsync"/>: waits until <paramref name="cancellationToken"/> fires or the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync().ConfigureAwait(false);
}
