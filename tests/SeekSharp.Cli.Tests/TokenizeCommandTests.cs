using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SeekSharp.Cli.Commands;
using SeekSharp.Testing;

namespace SeekSharp.Cli.Tests;

/// <summary>Runs `seek tokenize|detokenize` on every golden tokenizer case, as held-back cases will be run.</summary>
public sealed class TokenizeCommandTests : IDisposable
{
    private static readonly string s_tokenizer = SharedData.Path("golden", "tokenizer", "tokenizer.json");
    private static readonly Lazy<List<JsonElement>> s_cases = new(() =>
        File.ReadLines(SharedData.Path("golden", "tokenizer", "cases.jsonl"))
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList());

    private readonly string _folder = Directory.CreateTempSubdirectory("seek-tokenize-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < s_cases.Value.Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TokenizeJsonGivesTheGoldenIdsAndTokens(int index)
    {
        var golden = s_cases.Value[index];
        var (exit, stdout, stderr) = Run("tokenize", "--tokenizer", s_tokenizer, "--text", golden.GetProperty("text").GetString()!, "--json");

        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["ids", "tokens"], result.EnumerateObject().Select(p => p.Name));
        Assert.True(JsonElement.DeepEquals(golden.GetProperty("ids"), result.GetProperty("ids")));
        Assert.True(JsonElement.DeepEquals(golden.GetProperty("tokens"), result.GetProperty("tokens")));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TokenizeFilePrintsOneIdTabTokenLinePerToken(int index)
    {
        var golden = s_cases.Value[index];
        var path = Path.Combine(_folder, "input.txt");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(golden.GetProperty("text").GetString()!));

        var (exit, stdout, _) = Run("tokenize", "--tokenizer", s_tokenizer, "--file", path);

        Assert.Equal(0, exit);
        var expected = golden.GetProperty("ids").EnumerateArray().Zip(golden.GetProperty("tokens").EnumerateArray())
            .Select(p => $"{p.First.GetInt32()}\t{p.Second.GetString()}\n");
        Assert.Equal(string.Concat(expected), Encoding.UTF8.GetString(stdout));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DetokenizePrintsExactlyTheDecodedText(int index)
    {
        var golden = s_cases.Value[index];
        var ids = string.Join(' ', golden.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));

        var plain = Run("detokenize", "--tokenizer", s_tokenizer, "--ids", ids);
        var skipping = Run("detokenize", "--tokenizer", s_tokenizer, "--ids", ids, "--skip-special");

        Assert.Equal(0, plain.Exit);
        Assert.Equal(Encoding.UTF8.GetBytes(golden.GetProperty("decoded").GetString()!), plain.Stdout);
        Assert.Equal(0, skipping.Exit);
        Assert.Equal(Encoding.UTF8.GetBytes(golden.GetProperty("decoded_skip_special").GetString()!), skipping.Stdout);
    }

    [Fact]
    public void DetokenizeAcceptsCommasAndBrackets()
    {
        var (exit, stdout, _) = Run("detokenize", "--tokenizer", s_tokenizer, "--ids", "[1202, 2949]");
        Assert.Equal(0, exit);
        Assert.Equal("Hello world", Encoding.UTF8.GetString(stdout));
    }

    [Theory]
    [InlineData("12 x 3", "'x' is not a non-negative integer")]
    [InlineData("-1", "'-1' is not a non-negative integer")]
    [InlineData("3021", "token id 3021 is not in the vocabulary")]
    public void DetokenizeRejectsBadIds(string ids, string message)
    {
        var (exit, stdout, stderr) = Run("detokenize", "--tokenizer", s_tokenizer, "--ids", ids);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void MissingTokenizerFileIsReported()
    {
        var absent = Path.Combine(_folder, "absent.json");
        var (exit, stdout, stderr) = Run("tokenize", "--tokenizer", absent, "--text", "hi");
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("absent.json", stderr);
    }

    [Fact]
    public void MalformedTokenizerIsReportedWithItsField()
    {
        var path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, """{"decoder": {"type": "ByteLevel"}, "pre_tokenizer": {"type": "ByteLevel"}}""");
        var (exit, _, stderr) = Run("detokenize", "--tokenizer", path, "--ids", "1");
        Assert.Equal(2, exit);
        Assert.Contains("'model'", stderr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TokenizeNeedsExactlyOneOfTextAndFile(bool both)
    {
        string[] args = both
            ? ["tokenize", "--tokenizer", s_tokenizer, "--text", "a", "--file", s_tokenizer]
            : ["tokenize", "--tokenizer", s_tokenizer];
        var (exit, stdout, stderr) = Run(args);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("exactly one of --text and --file", stderr);
    }

    [Fact]
    public void MissingInputFileIsReported()
    {
        var (exit, _, stderr) = Run("tokenize", "--tokenizer", s_tokenizer, "--file", Path.Combine(_folder, "none.txt"));
        Assert.Equal(2, exit);
        Assert.Contains("none.txt", stderr);
    }

    // The verbs are reachable through the real executable (composition root + registry), bytes unchanged.
    [Fact]
    public void SeekExecutableTokenizesAndDetokenizes()
    {
        var seek = Path.Combine(AppContext.BaseDirectory, "seek.dll");
        var golden = s_cases.Value.First(c => c.GetProperty("category").GetString() == "emoji");

        var tokenize = SeekProcess.RunBytes("tokenize", "--tokenizer", s_tokenizer, "--text", golden.GetProperty("text").GetString()!, "--json");
        Assert.Equal(0, tokenize.Exit);
        Assert.True(JsonElement.DeepEquals(golden.GetProperty("ids"), JsonDocument.Parse(tokenize.Stdout).RootElement.GetProperty("ids")));

        var ids = string.Join(' ', golden.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));
        var detokenize = SeekProcess.RunBytes("detokenize", "--tokenizer", s_tokenizer, "--ids", ids);
        Assert.Equal(0, detokenize.Exit);
        Assert.Equal(Encoding.UTF8.GetBytes(golden.GetProperty("decoded").GetString()!), detokenize.Stdout);

        Assert.Equal(2, SeekProcess.RunBytes("detokenize", "--tokenizer", s_tokenizer, "--ids", "1 x").Exit);
    }

    private static (int Exit, byte[] Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var root = new RootCommand("test root");
        root.Subcommands.Add(TokenizeCommands.CreateTokenize(() => stdout, stderr));
        root.Subcommands.Add(TokenizeCommands.CreateDetokenize(() => stdout, stderr));
        // Texts may start with '@' (golden case "@user"): response files must be off, as they should be in Program.cs.
        var exit = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).Invoke();
        return (exit, stdout.ToArray(), stderr.ToString());
    }
}
