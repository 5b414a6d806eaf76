using System.Text.Json.Nodes;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.IO.Tests.Tokenization;

/// <summary>
/// A hand-made tiny tokenizer for the options the golden file leaves at their defaults:
/// ignore_merges, and the added-token flags lstrip, rstrip, single_word and normalized.
/// </summary>
public sealed class AddedTokenOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("seek-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ids: a b c Ġ ab bc abc < w > ; the only merge is (b, c), so "abc" is never merged whole.
    private DeepSeekTokenizer Tiny(bool ignoreMerges = false, params JsonObject[] added)
    {
        var vocab = new JsonObject();
        string[] tokens = ["a", "b", "c", "Ġ", "ab", "bc", "abc", "<", "w", ">"];
        for (var i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        var root = new JsonObject
        {
            ["added_tokens"] = new JsonArray([.. added]),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["ignore_merges"] = ignoreMerges,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(new JsonArray("b", "c")),
            },
        };
        var path = Path.Combine(_dir, $"tiny-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, root.ToJsonString());
        return DeepSeekTokenizer.Load(path);
    }

    private static JsonObject Added(int id, string content, bool lstrip = false, bool rstrip = false,
        bool singleWord = false, bool normalized = false) => new()
    {
        ["id"] = id, ["content"] = content, ["special"] = false, ["lstrip"] = lstrip, ["rstrip"] = rstrip,
        ["single_word"] = singleWord, ["normalized"] = normalized,
    };

    [Fact]
    public void MergesApplyByRankWhenIgnoreMergesIsOff() => Assert.Equal([0, 5], Tiny().Encode("abc"));

    [Fact]
    public void IgnoreMergesTakesAWholeVocabularyWord() => Assert.Equal([6], Tiny(ignoreMerges: true).Encode("abc"));

    [Fact]
    public void WithoutStripTheSpacesAroundAnAddedTokenStay() =>
        Assert.Equal([0, 3, 20, 3, 0], Tiny(false, Added(20, "<m>")).Encode("a <m> a"));

    [Fact]
    public void LStripAbsorbsSpacesOnTheLeft() =>
        Assert.Equal([0, 20, 3, 0], Tiny(false, Added(20, "<m>", lstrip: true)).Encode("a  <m> a"));

    [Fact]
    public void RStripAbsorbsSpacesOnTheRight() =>
        Assert.Equal([0, 3, 20, 0], Tiny(false, Added(20, "<m>", rstrip: true)).Encode("a <m>  a"));

    [Fact]
    public void SingleWordTokenIsNotMatchedInsideAWord()
    {
        var tokenizer = Tiny(false, Added(20, "<w>", singleWord: true));

        Assert.Equal([0, 7, 8, 9], tokenizer.Encode("a<w>"));
        Assert.Equal([0, 3, 20, 3, 0], tokenizer.Encode("a <w> a"));
    }

    [Fact]
    public void NormalizedTokensAreFoundInTheSecondPass()
    {
        var tokenizer = Tiny(false, Added(20, "<w>", normalized: true), Added(21, "w>a"));

        // The raw pass claims "w>a" first; "<" is then left as plain text.
        Assert.Equal([7, 21], tokenizer.Encode("<w>a"));
        Assert.Equal([20, 3], tokenizer.Encode("<w> "));
    }

    [Fact]
    public void DecodeEmitsAddedTokenTextAndBytesOfBpeTokens() =>
        Assert.Equal("a <m>bc", Tiny(false, Added(20, "<m>")).Decode([0, 3, 20, 5]));
}
