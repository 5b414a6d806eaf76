using System.CommandLine;
using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>
/// `seek mcp-demo-server`: a small MCP server over stdio (built with the ModelContextProtocol SDK) serving a few
/// harmless tools, to try `seek chat --mcp-command "seek mcp-demo-server"` without installing anything. It speaks
/// JSON-RPC on stdout, so it is meant to be started by an MCP client, not typed at.
/// </summary>
internal static class McpDemoServerCommand
{
    public const string ServerName = "seeksharp-demo-tools";

    public static Command Create()
    {
        var command = new Command("mcp-demo-server", "Serve a few demo tools (add, utc_now, word_count) as an MCP server over stdio, for seek chat --mcp-command");
        command.SetAction(async (_, cancellationToken) =>
        {
            var options = new McpServerOptions
            {
                ServerInfo = new Implementation { Name = ServerName, Version = "1.0" },
                ToolCollection =
                [
                    McpServerTool.Create([Description("Adds two numbers")] (double a, double b) => a + b,
                        new McpServerToolCreateOptions { Name = "add" }),
                    McpServerTool.Create([Description("The current date and time in UTC, ISO 8601")] () => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                        new McpServerToolCreateOptions { Name = "utc_now" }),
                    McpServerTool.Create([Description("Counts the words of a text")] (string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length,
                        new McpServerToolCreateOptions { Name = "word_count" }),
                ],
            };
            await using var server = McpServer.Create(new StdioServerTransport(ServerName), options);
            await server.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
