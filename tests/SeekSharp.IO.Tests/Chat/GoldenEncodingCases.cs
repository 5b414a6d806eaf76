using System.Text.Json;
using SeekSharp.Testing;

namespace SeekSharp.IO.Tests.Chat;

/// <summary>The lines of ../shared/golden/encoding/*.jsonl, by case name.</summary>
internal static class GoldenEncodingCases
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_encode = new(() => Load("encode_cases.jsonl"));
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_parse = new(() => Load("parse_cases.jsonl"));

    public static IReadOnlyDictionary<string, string> EncodeLines => s_encode.Value;

    public static IReadOnlyDictionary<string, string> ParseLines => s_parse.Value;

    public static TheoryData<string> EncodeNames() => new(EncodeLines.Keys);

    public static TheoryData<string> ParseNames() => new(ParseLines.Keys);

    public static TheoryData<string> ValidParseNames() =>
        new(ParseLines.Where(kv => !Has(kv.Value, "expected_error")).Select(kv => kv.Key));

    public static TheoryData<string> ErrorParseNames() =>
        new(ParseLines.Where(kv => Has(kv.Value, "expected_error")).Select(kv => kv.Key));

    public static TheoryData<string> ValidEncodeNames() =>
        new(EncodeLines.Where(kv => !Has(kv.Value, "expected_error")).Select(kv => kv.Key));

    public static JsonElement Encode(string name) => JsonDocument.Parse(EncodeLines[name]).RootElement;

    public static JsonElement Parse(string name) => JsonDocument.Parse(ParseLines[name]).RootElement;

    private static bool Has(string line, string key) => JsonDocument.Parse(line).RootElement.TryGetProperty(key, out _);

    private static IReadOnlyDictionary<string, string> Load(string file)
    {
        var cases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(SharedData.Path("golden", "encoding", file)))
        {
            if (line.Length == 0) continue;
            var name = JsonDocument.Parse(line).RootElement.GetProperty("name").GetString()!;
            cases.Add(name, line);
        }
        return cases;
    }
}
