using SeekSharp.Agents.Mcp;

namespace SeekSharp.Agents.Tests;

public sealed class CommandLineSplitterTests
{
    [Theory]
    [InlineData("npx -y @modelcontextprotocol/server-everything", new[] { "npx", "-y", "@modelcontextprotocol/server-everything" })]
    [InlineData("  dotnet   run  ", new[] { "dotnet", "run" })]
    [InlineData("python3 'my server.py' --name \"a \\\"b\\\"\"", new[] { "python3", "my server.py", "--name", "a \"b\"" })]
    [InlineData("a\\ b c''d", new[] { "a b", "cd" })]
    public void SplitsLikeAShell(string line, string[] words) => Assert.Equal(words, CommandLineSplitter.Split(line));

    [Theory]
    [InlineData("tool 'open")]
    [InlineData("tool \"open")]
    public void UnclosedQuotesAreRefused(string line) => Assert.Throws<FormatException>(() => CommandLineSplitter.Split(line));

    [Fact]
    public void AnEmptyCommandIsRefused() => Assert.Throws<FormatException>(() => CommandLineSplitter.SplitCommand("   "));
}
