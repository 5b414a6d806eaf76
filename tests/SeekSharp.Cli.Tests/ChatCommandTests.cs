using System.Diagnostics;
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

    [Fact]
    public void ChatReadsMessagesFromStdinAndStreamsTheDemoModelsReplies()
    {
        // no --model: the demo model is written into the (redirected) user cache and labelled untrained
        var (exit, stdout, stderr) = RunChat("Hello there!\n/reset\nSecond message\n", "--max-new-tokens", "12", "--seed", "3", "--device", "cpu");

        Assert.True(exit == 0, stderr);
        Assert.Contains("UNTRAINED", stdout);
        Assert.Contains("> Hello there!", stdout);
        Assert.Contains("(conversation cleared)", stdout);
        Assert.Contains("> Second message", stdout);
        Assert.Equal(2, CountOf(stdout, "[thinking] "));           // thinking is on by default; reasoning is framed when piped
        Assert.True(Directory.Exists(Path.Combine(_folder, "cache", "seeksharp")), "the demo model went to the cache folder");
    }

    [Fact]
    public void NoThinkingRepliesWithoutAReasoningPhase()
    {
        var (exit, stdout, stderr) = RunChat("Hi\n", "--no-thinking", "--max-new-tokens", "8", "--device", "cpu");
        Assert.True(exit == 0, stderr);
        Assert.Contains("> Hi", stdout);
        Assert.DoesNotContain("[thinking]", stdout);
    }

    private (int Exit, string Stdout, string Stderr) RunChat(string input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(_folder, "cache");
        start.ArgumentList.Add(SeekProcess.SeekDll);
        start.ArgumentList.Add("chat");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("seek chat did not finish");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
