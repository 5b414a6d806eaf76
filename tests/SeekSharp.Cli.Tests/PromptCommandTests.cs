using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SeekSharp.Cli.Commands;
using SeekSharp.Testing;

namespace SeekSharp.Cli.Tests;

/// <summary>Runs `seek prompt render|parse` on every golden case, as the held-back cases will be run.</summary>
public sealed class PromptCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seek-prompt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> EncodeCases() => new(CaseNames("encode_cases.jsonl"));

    public static TheoryData<string> ParseCases() => new(CaseNames("parse_cases.jsonl"));

    [Theory]
    [MemberData(nameof(EncodeCases))]
    public void RenderPrintsTheExactPromptOrFailsWithExitCode2(string name)
    {
        var line = CaseLine("encode_cases.jsonl", name);
        var (exit, stdout, stderr) = Run("prompt", "render", "--input", WriteCase(name, line));
        var golden = JsonDocument.Parse(line).RootElement;
        if (golden.TryGetProperty("expected_error", out _))
        {
            Assert.Equal(2, exit);
            Assert.Empty(stdout);
            Assert.False(string.IsNullOrWhiteSpace(stderr));
            return;
        }
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Equal(Encoding.UTF8.GetBytes(golden.GetProperty("expected_prompt").GetString()!), stdout);
    }

    [Theory]
    [MemberData(nameof(ParseCases))]
    public void ParsePrintsTheExpectedMessageOrFailsWithExitCode2(string name)
    {
        var line = CaseLine("parse_cases.jsonl", name);
        var (exit, stdout, stderr) = Run("prompt", "parse", "--input", WriteCase(name, line));
        var golden = JsonDocument.Parse(line).RootElement;
        if (golden.TryGetProperty("expected_error", out var error))
        {
            Assert.Equal(2, exit);
            Assert.Empty(stdout);
            Assert.Contains(error.GetProperty("message").GetString()!, stderr);
            return;
        }
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        var expected = golden.GetProperty("expected");
        var actual = JsonDocument.Parse(stdout).RootElement;
        Assert.True(JsonElement.DeepEquals(expected, actual), Encoding.UTF8.GetString(stdout));
        Assert.Equal(KeyOrder(expected), KeyOrder(actual));
    }

    [Fact]
    public void RenderReportsAnInvalidConversation()
    {
        var path = WriteCase("bad", """{"messages": [{"role": "user", "content": 1}], "options": {"thinking_mode": "chat"}}""");
        var (exit, stdout, stderr) = Run("prompt", "render", "--input", path);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("messages[0].content must be a string", stderr);
    }

    [Fact]
    public void MissingInputFileIsReported()
    {
        var (exit, stdout, stderr) = Run("prompt", "parse", "--input", Path.Combine(_folder, "absent.json"));
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("absent.json", stderr);
    }

    // The verbs are reachable through the real executable (composition root + registry), bytes unchanged.
    [Fact]
    public void SeekExecutableRendersAndParses()
    {
        var seek = Path.Combine(AppContext.BaseDirectory, "seek.dll");
        Assert.True(File.Exists(seek), $"{seek} should be copied next to the tests");

        var encodeLine = CaseLine("encode_cases.jsonl", "tool_call_arguments_unicode_and_order");
        var render = SeekProcess.RunBytes("prompt", "render", "--input", WriteCase("render", encodeLine));
        Assert.Equal(0, render.Exit);
        Assert.Equal(Encoding.UTF8.GetBytes(JsonDocument.Parse(encodeLine).RootElement.GetProperty("expected_prompt").GetString()!), render.Stdout);

        var failing = SeekProcess.RunBytes("prompt", "render", "--input", WriteCase("fail", CaseLine("encode_cases.jsonl", "error_tool_without_tool_calls")));
        Assert.Equal(2, failing.Exit);
        Assert.Empty(failing.Stdout);

        var parseLine = CaseLine("parse_cases.jsonl", "multiple_invokes");
        var parse = SeekProcess.RunBytes("prompt", "parse", "--input", WriteCase("parse", parseLine));
        Assert.Equal(0, parse.Exit);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(parseLine).RootElement.GetProperty("expected"), JsonDocument.Parse(parse.Stdout).RootElement));
    }

    private static (int Exit, byte[] Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var root = new RootCommand("test root");
        root.Subcommands.Add(PromptCommands.Create(() => stdout, stderr));
        var exit = root.Parse(args).Invoke();
        return (exit, stdout.ToArray(), stderr.ToString());
    }

    private string WriteCase(string name, string json)
    {
        var path = Path.Combine(_folder, name + ".json");
        File.WriteAllText(path, json, new UTF8Encoding(false));
        return path;
    }

    private static List<string> KeyOrder(JsonElement element)
    {
        var keys = new List<string>();
        Collect(element, "", keys);
        return keys;

        static void Collect(JsonElement e, string path, List<string> keys)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject())
                {
                    keys.Add(path + "/" + p.Name);
                    Collect(p.Value, path + "/" + p.Name, keys);
                }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Collect(item, path + "[]", keys);
        }
    }

    private static IEnumerable<string> CaseNames(string file) =>
        File.ReadLines(SharedData.Path("golden", "encoding", file)).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()!);

    private static string CaseLine(string file, string name) =>
        File.ReadLines(SharedData.Path("golden", "encoding", file))
            .Single(l => l.Length > 0 && JsonDocument.Parse(l).RootElement.GetProperty("name").GetString() == name);
}
