using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SeekSharp.Agents.Mcp;

/// <summary>
/// An MCP server as a source of tools, through the ModelContextProtocol SDK's client: connect over stdio (a child
/// process), HTTP (Streamable HTTP or SSE) or any <see cref="IClientTransport"/>, list the server's tools, and hand
/// them out as <see cref="AIFunction"/>s (the SDK's <see cref="McpClientTool"/> is one: invoking it calls the tool on
/// the server). Dispose to close the session (and stop a stdio server).
/// </summary>
public sealed class McpToolSource : IAsyncDisposable
{
    private readonly McpClient _client;

    private McpToolSource(McpClient client, IReadOnlyList<McpClientTool> tools)
    {
        _client = client;
        Tools = tools;
    }

    /// <summary>The server's tools as listed at connect time (or by the last <see cref="RefreshAsync"/>).</summary>
    public IReadOnlyList<McpClientTool> Tools { get; private set; }

    /// <summary>The server's name and version from the handshake.</summary>
    public string ServerName => $"{_client.ServerInfo?.Name} {_client.ServerInfo?.Version}".Trim();

    public IReadOnlyList<AIFunction> Functions => [.. Tools];

    public static async Task<McpToolSource> ConnectAsync(IClientTransport transport, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var client = await McpClient.CreateAsync(transport, new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "seeksharp", Version = typeof(McpToolSource).Assembly.GetName().Version?.ToString() ?? "0" },
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new McpToolSource(client, [.. tools]);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts <paramref name="commandLine"/> (e.g. <c>npx -y @modelcontextprotocol/server-everything</c>) and talks MCP over its stdin/stdout.</summary>
    public static Task<McpToolSource> ConnectStdioAsync(string commandLine, CancellationToken cancellationToken = default)
    {
        var (command, arguments) = CommandLineSplitter.SplitCommand(commandLine);
        return ConnectAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = Path.GetFileName(command),
            Command = command,
            Arguments = [.. arguments],
        }), cancellationToken);
    }

    /// <summary>Connects to an MCP server over HTTP (Streamable HTTP, falling back to SSE).</summary>
    public static Task<McpToolSource> ConnectHttpAsync(Uri endpoint, CancellationToken cancellationToken = default) =>
        ConnectAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = endpoint }), cancellationToken);

    /// <summary>Lists the server's tools again.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default) =>
        Tools = [.. await _client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)];

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
