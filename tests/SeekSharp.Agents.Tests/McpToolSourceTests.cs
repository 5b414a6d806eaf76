using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.Agents.Loop;
using SeekSharp.Agents.Mcp;
using SeekSharp.Agents.Tools;

namespace SeekSharp.Agents.Tests;

/// <summary>MCP tools through the SDK's client against a real SDK server in this process.</summary>
public sealed class McpToolSourceTests(DemoModelFixture demo)
{
    [Fact]
    public async Task ListsTheServersToolsAsCallableFunctions()
    {
        await using var server = new InProcessMcpServer();
        await using var source = await McpToolSource.ConnectAsync(server.ClientTransport(), TestContext.Current.CancellationToken);

        Assert.Equal("test-tools 1.2.3", source.ServerName);
        Assert.Equal(["add", "shout"], source.Tools.Select(t => t.Name).Order());
        var add = source.Functions.Single(f => f.Name == "add");
        Assert.Equal("Adds two integers", add.Description);
        Assert.Contains("\"a\"", add.JsonSchema.GetRawText());

        var registry = new ToolRegistry().AddRange(source.Functions);
        var result = await registry.InvokeAsync(new FunctionCallContent("c1", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 40 }),
            TestContext.Current.CancellationToken);
        Assert.Null(result.Exception);
        Assert.Contains("42", ToText(result.Result));
    }

    [Fact]
    public async Task ConnectsOverStreamableHttp()
    {
        await using var server = await HttpMcpServer.StartAsync(TestContext.Current.CancellationToken);
        await using var source = await McpToolSource.ConnectHttpAsync(server.Endpoint, TestContext.Current.CancellationToken);

        Assert.Equal("test-tools 2.0", source.ServerName);
        var shout = source.Functions.Single(f => f.Name == "shout");
        var result = await shout.InvokeAsync(new AIFunctionArguments(new Dictionary<string, object?> { ["text"] = "quiet" }), TestContext.Current.CancellationToken);
        Assert.Contains("QUIET", ToText(result));
    }

    [Fact]
    public async Task McpToolsAreOfferedInThePromptAndTheirResultsFedBackByTheAgentLoop()
    {
        await using var server = new InProcessMcpServer();
        await using var source = await McpToolSource.ConnectAsync(server.ClientTransport(), TestContext.Current.CancellationToken);
        var engine = new RecordedCompletionEngine(demo.Tokenizer, RecordedCompletions.CallAdd(20, 22), RecordedCompletions.Answer("The tool said 42.", "42"));
        var loop = new AgentLoop(new SeekSharpChatClient(engine, demo.Tokenizer), new ToolRegistry().AddRange(source.Functions));

        var finished = await loop.RunAsync("What is 20 + 22?", TestContext.Current.CancellationToken);

        Assert.Equal("42", finished.FinalResponse.Text);
        var prompts = engine.Prompts.ToList();
        Assert.Contains("{\"name\": \"add\", \"description\": \"Adds two integers\"", prompts[0]);
        Assert.Contains("<result>", prompts[1]);
        Assert.Contains("42", prompts[1][prompts[1].LastIndexOf("<result>", StringComparison.Ordinal)..]);
    }

    private static string ToText(object? result) => result switch
    {
        null => "",
        string s => s,
        System.Text.Json.JsonElement e => e.GetRawText(),
        _ => System.Text.Json.JsonSerializer.Serialize(result, result.GetType()),
    };
}
