using System.Text.Json.Nodes;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.IO.Tests.Tokenization;

/// <summary>Malformed or unsupported tokenizer.json files are rejected with the file and field named.</summary>
public sealed class TokenizerJsonErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("seek-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteVariant(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(File.ReadAllText(TokenizerGolden.PathOf(TokenizerGolden.PairMerges)))!.AsObject();
        change(root);
        var path = Path.Combine(_dir, $"tokenizer-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    private static JsonObject Step(JsonObject root, int index) =>
        root["pre_tokenizer"]!["pretokenizers"]![index]!.AsObject();

    private TokenizerFormatException LoadFails(Action<JsonObject> change)
    {
        var path = WriteVariant(change);
        var error = Assert.Throws<TokenizerFormatException>(() => DeepSeekTokenizer.Load(path));
        Assert.Equal(path, error.File);
        Assert.Contains(path, error.Message);
        return error;
    }

    [Fact]
    public void MissingModel() => Assert.Equal("model", LoadFails(r => r.Remove("model")).Field);

    [Fact]
    public void UnknownPreTokenizerType()
    {
        var error = LoadFails(r => Step(r, 3)["type"] = "Whitespace");

        Assert.Equal("pre_tokenizer.pretokenizers[3].type", error.Field);
        Assert.Contains("Whitespace", error.Message);
    }

    [Fact]
    public void MissingPreTokenizer() => Assert.Equal("pre_tokenizer", LoadFails(r => r["pre_tokenizer"] = null).Field);

    [Fact]
    public void SplitBehaviorOtherThanIsolated() =>
        Assert.Equal("pre_tokenizer.pretokenizers[0].behavior", LoadFails(r => Step(r, 0)["behavior"] = "Removed").Field);

    [Fact]
    public void InvertedSplit() =>
        Assert.Equal("pre_tokenizer.pretokenizers[1].invert", LoadFails(r => Step(r, 1)["invert"] = true).Field);

    [Fact]
    public void UnsupportedRegexConstruct()
    {
        var error = LoadFails(r => Step(r, 0)["pattern"] = new JsonObject { ["Regex"] = "(?<=a)b" });

        Assert.Equal("pre_tokenizer.pretokenizers[0].pattern.Regex", error.Field);
        Assert.Contains("lookbehind", error.Message);
    }

    [Fact]
    public void ByteLevelWithPrefixSpace() =>
        Assert.Equal("pre_tokenizer.pretokenizers[3].add_prefix_space",
            LoadFails(r => Step(r, 3)["add_prefix_space"] = true).Field);

    [Fact]
    public void NonIdentityNormalizer() =>
        Assert.Equal("normalizer.type", LoadFails(r => r["normalizer"] = new JsonObject { ["type"] = "NFC" }).Field);

    [Fact]
    public void ByteFallback() =>
        Assert.Equal("model.byte_fallback", LoadFails(r => r["model"]!["byte_fallback"] = true).Field);

    [Fact]
    public void UnkToken() => Assert.Equal("model.unk_token", LoadFails(r => r["model"]!["unk_token"] = "<unk>").Field);

    [Fact]
    public void MergeOfUnknownToken() =>
        Assert.Equal("model.merges[0]", LoadFails(r => r["model"]!["merges"]![0] = new JsonArray("Ġ", "no-such-token")).Field);

    [Fact]
    public void MalformedLegacyMerge() =>
        Assert.Equal("model.merges[2]", LoadFails(r => r["model"]!["merges"]![2] = "a b c").Field);

    [Fact]
    public void AddedTokenWithoutId() =>
        Assert.Equal("added_tokens[4].id", LoadFails(r => r["added_tokens"]![4]!.AsObject().Remove("id")).Field);

    [Fact]
    public void NonByteLevelDecoder() =>
        Assert.Equal("decoder.type", LoadFails(r => r["decoder"] = new JsonObject { ["type"] = "WordPiece" }).Field);

    [Fact]
    public void NotJson()
    {
        var path = Path.Combine(_dir, "broken.json");
        File.WriteAllText(path, "{ \"model\": ");

        var error = Assert.Throws<TokenizerFormatException>(() => DeepSeekTokenizer.Load(path));
        Assert.Equal(path, error.File);
    }

    [Fact]
    public void MissingFile() =>
        Assert.Throws<FileNotFoundException>(() => DeepSeekTokenizer.Load(Path.Combine(_dir, "absent.json")));
}
