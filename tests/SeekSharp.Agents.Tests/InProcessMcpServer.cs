using System.ComponentModel;
using System.IO.Pipelines;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SeekSharp.Agents.Tests;

/// <summary>A real MCP server built with the SDK, running in this process and talking over a pair of pipes.</summary>
internal sealed class InProcessMcpServer : IAsyncDisposable
{
    private readonly Pipe _clientToServer = new();
    private readonly Pipe _serverToClient = new();
    private readonly McpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public InProcessMcpServer()
    {
        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = Name, Version = "1.2.3" },
            ToolCollection = [.. Tools()],
        };
        _server = McpServer.Create(new StreamServerTransport(_clientToServer.Reader.AsStream(), _serverToClient.Writer.AsStream()), options);
        _running = _server.RunAsync(_stop.Token);
    }

    public const string Name = "test-tools";

    /// <summary>The tools every test server serves.</summary>
    public static IEnumerable<McpServerTool> Tools() =>
    [
        McpServerTool.Create([Description("Adds two integers")] (int a, int b) => a + b, new McpServerToolCreateOptions { Name = "add" }),
        McpServerTool.Create([Description("Upper-cases a text")] (string text) => text.ToUpperInvariant(), new McpServerToolCreateOptions { Name = "shout" }),
    ];

    /// <summary>The client end of the pipes.</summary>
    public StreamClientTransport ClientTransport() => new(_clientToServer.Writer.AsStream(), _serverToClient.Reader.AsStream());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _clientToServer.Writer.CompleteAsync();
        try { await _running; } catch (OperationCanceledException) { }
        await _server.DisposeAsync();
        _stop.Dispose();
    }
}
