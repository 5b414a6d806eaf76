using System.Text.Json;
using SeekSharp.IO.Tokenization;
using SeekSharp.Testing;

namespace SeekSharp.IO.Tests.Tokenization;

/// <summary>The golden tokenizer data in shared/golden/tokenizer, loaded once.</summary>
internal static class TokenizerGolden
{
    public const string PairMerges = "tokenizer.json";
    public const string LegacyMerges = "tokenizer_legacy_merges.json";

    private static readonly Lazy<IReadOnlyList<EncodeCase>> s_cases = new(() => ReadLines("cases.jsonl", ParseEncodeCase));
    private static readonly Lazy<IReadOnlyList<DecodeCase>> s_decodeCases = new(() => ReadLines("decode_cases.jsonl", ParseDecodeCase));
    private static readonly Dictionary<string, Lazy<DeepSeekTokenizer>> s_tokenizers = new()
    {
        [PairMerges] = new(() => DeepSeekTokenizer.Load(PathOf(PairMerges))),
        [LegacyMerges] = new(() => DeepSeekTokenizer.Load(PathOf(LegacyMerges))),
    };

    public static string PathOf(string file) => SharedData.Path("golden", "tokenizer", file);

    public static IReadOnlyList<EncodeCase> Cases => s_cases.Value;

    public static IReadOnlyList<DecodeCase> DecodeCases => s_decodeCases.Value;

    public static DeepSeekTokenizer Tokenizer(string file = PairMerges) => s_tokenizers[file].Value;

    private static IReadOnlyList<T> ReadLines<T>(string file, Func<JsonElement, T> parse) =>
        File.ReadLines(PathOf(file))
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                using var doc = JsonDocument.Parse(line);
                return parse(doc.RootElement);
            })
            .ToList();

    private static EncodeCase ParseEncodeCase(JsonElement e) => new(
        e.GetProperty("category").GetString()!,
        e.GetProperty("text").GetString()!,
        e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        e.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToArray(),
        e.GetProperty("decoded").GetString()!,
        e.GetProperty("decoded_skip_special").GetString()!,
        e.GetProperty("pretokens").ValueKind == JsonValueKind.Null
            ? null
            : e.GetProperty("pretokens").EnumerateArray().Select(x => x.GetString()!).ToArray());

    private static DecodeCase ParseDecodeCase(JsonElement e) => new(
        e.GetProperty("note").GetString()!,
        e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        e.GetProperty("skip_special_tokens").GetBoolean(),
        e.GetProperty("decoded").GetString()!,
        e.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToArray());
}

internal sealed record EncodeCase(string Category, string Text, int[] Ids, string[] Tokens, string Decoded,
    string DecodedSkipSpecial, string[]? PreTokens);

internal sealed record DecodeCase(string Note, int[] Ids, bool SkipSpecialTokens, string Decoded, string[] Tokens);
