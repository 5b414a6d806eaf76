using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace SeekSharp.Agents.Tests;

/// <summary>A real MCP server over Streamable HTTP (the SDK's ASP.NET Core integration) on a free local port.</summary>
internal sealed class HttpMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpMcpServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<HttpMcpServer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = InProcessMcpServer.Name, Version = "2.0" })
            .WithHttpTransport()
            .WithTools(InProcessMcpServer.Tools());
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpMcpServer(app, new Uri(address.TrimEnd('/') + "/mcp"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
