using Microsoft.Extensions.AI;
using SeekSharp.Agents.Mcp;
using SeekSharp.Agents.Tools;

namespace SeekSharp.Cli.Tests;

/// <summary>`seek chat` and `seek mcp-demo-server` as real processes.</summary>
public sealed class ChatCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "seeksharp-chat-tests-" + Guid.NewGuid().ToString("N"));

    public ChatCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TheDemoMcpServerServesItsToolsOverStdio()
    {
        await using var source = await McpToolSource.ConnectStdioAsync($"dotnet \"{SeekProcess.SeekDll}\" mcp-demo-server", TestContext.Current.CancellationToken);

        Assert.StartsWith("seeksharp-demo-tools", source.ServerName);
        Assert.Equal(["add", "utc_now", "word_count"], source.Tools.Select(t => t.Name).Order());
        var tools = new ToolRegistry().AddRange(source.Functions);
        var sum = await tools.InvokeAsync(new FunctionCallContent("c1", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 40.5 }), TestContext.Current.CancellationToken);
        Assert.Contains("42.5", sum.Result?.ToString());
        var words = await tools.InvokeAsync(new FunctionCallContent("c2", "word_count", new Dictionary<string, object?> { ["text"] = "one two  three" }), TestContext.Current.CancellationToken);
        Assert.Contains("3", words.Result?.ToString());
    }

    [Fact]
    public void AModelFolderWithoutATokenizerIsRefusedWithOneLine()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), "{}");
        var result = SeekProcess.Run("chat", "--model", _folder);
        Assert.Equal(2, result.Exit);
        Assert.Contains("no tokenizer.json", result.Stderr);
    }
}
