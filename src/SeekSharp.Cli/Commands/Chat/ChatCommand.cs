using System.CommandLine;
using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.Agents.Loop;
using SeekSharp.Agents.Mcp;
using SeekSharp.Agents.Tools;
using SeekSharp.IO.Chat;
using Spectre.Console;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>
/// `seek chat [--model DIR] [--mcp-command "..."] [--no-thinking]`: a streaming terminal chat with a model through
/// the agents layer (in-process IChatClient + agent loop), reasoning shown dimmed, tools from an MCP server
/// optional. Reads one user message per line from stdin, so it can be driven by piping text in. Without --model it
/// uses the built-in demo model (untrained: its replies are gibberish).
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Checkpoint folder with tokenizer.json (default: the built-in UNTRAINED demo model, written to the user cache on first use)" };
        var mcpCommand = new Option<string?>("--mcp-command") { Description = "Start an MCP server with this command line and let the model call its tools (e.g. \"npx -y @modelcontextprotocol/server-everything\")" };
        var mcpUrl = new Option<string?>("--mcp-url") { Description = "Let the model call the tools of the MCP server at this HTTP endpoint" };
        var noThinking = new Option<bool>("--no-thinking") { Description = "Chat mode: answer directly, without a reasoning phase" };
        var system = new Option<string?>("--system") { Description = "A system prompt" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens per reply", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0.6f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 0.95f };
        var seed = new Option<int?>("--seed") { Description = "Fix the sampling stream (same seed, same replies)" };
        var maxTurns = new Option<int>("--max-turns") { Description = "Most model calls per message (each tool round trip is one)", DefaultValueFactory = _ => 8 };
        var device = ModelCommandOptions.Device();
        var threads = ModelCommandOptions.Threads();
        var command = new Command("chat", "Chat with a model in the terminal (streaming; reasoning dimmed; MCP tools optional); one message per input line")
        {
            model, mcpCommand, mcpUrl, noThinking, system, maxNew, temperature, topP, seed, maxTurns, device, threads,
        };
        command.SetAction(r => CliRunner.Run(() => RunAsync(new ChatSettings(
            r.GetValue(model), r.GetValue(mcpCommand), r.GetValue(mcpUrl), r.GetValue(noThinking), r.GetValue(system), r.GetValue(maxNew),
            r.GetValue(temperature), r.GetValue(topP), r.GetValue(seed), r.GetValue(maxTurns), r.GetValue(device)!, r.GetValue(threads))).GetAwaiter().GetResult()));
        return command;
    }

    private static async Task<int> RunAsync(ChatSettings settings)
    {
        if (settings.MaxNewTokens < 1) throw new CliUsageException("--max-new-tokens must be at least 1");
        if (settings.MaxTurns < 1) throw new CliUsageException("--max-turns must be at least 1");
        if (settings.McpCommand is not null && settings.McpUrl is not null) throw new CliUsageException("give --mcp-command or --mcp-url, not both");
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected) console.Profile.Width = 100_000;   // a transcript: no wrapping at 80 columns
        var renderer = new ChatRenderer(console);

        await using var opened = ChatModel.Open(settings.ModelDirectory, settings.Device, settings.Threads);
        renderer.Note(opened.Description);
        var client = new SeekSharpChatClient(opened.Engine, opened.Tokenizer, new SeekSharpChatClientOptions
        {
            ModelId = opened.ModelId,
            DefaultThinkingMode = settings.NoThinking ? ThinkingMode.Chat : ThinkingMode.Thinking,
            DefaultMaxOutputTokens = settings.MaxNewTokens,
        });

        var tools = new ToolRegistry();
        await using var mcp = await ConnectMcpAsync(settings).ConfigureAwait(false);
        if (mcp is not null)
        {
            tools.AddRange(mcp.Functions);
            renderer.Note($"tools from MCP server {mcp.ServerName}: {(mcp.Tools.Count == 0 ? "(none)" : string.Join(", ", mcp.Tools.Select(t => t.Name)))}");
        }

        var loop = new AgentLoop(client, tools, new AgentLoopOptions
        {
            MaxTurns = settings.MaxTurns,
            SystemPrompt = settings.SystemPrompt,
            ChatOptions = new ChatOptions
            {
                Temperature = settings.Temperature,
                TopP = settings.TopP,
                Seed = settings.Seed,
                MaxOutputTokens = settings.MaxNewTokens,
            },
        });
        renderer.Note("one message per line; /reset forgets the conversation, /exit or end of input quits");
        var session = new ChatSession(loop, renderer, Console.In, Console.Out, echoInput: Console.IsInputRedirected);
        return await session.RunAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task<McpToolSource?> ConnectMcpAsync(ChatSettings settings)
    {
        try
        {
            if (settings.McpCommand is { } commandLine) return await McpToolSource.ConnectStdioAsync(commandLine).ConfigureAwait(false);
            if (settings.McpUrl is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint)) throw new CliUsageException($"--mcp-url '{url}' is not an absolute URL");
                return await McpToolSource.ConnectHttpAsync(endpoint).ConfigureAwait(false);
            }
            return null;
        }
        catch (Exception e) when (e is not CliUsageException)
        {
            throw new CliUsageException($"could not connect to the MCP server: {e.Message}");
        }
    }

    private sealed record ChatSettings(string? ModelDirectory, string? McpCommand, string? McpUrl, bool NoThinking, string? SystemPrompt,
        int MaxNewTokens, float Temperature, float TopP, int? Seed, int MaxTurns, string Device, int Threads);
}
