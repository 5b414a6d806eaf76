namespace SeekSharp.IO.Tests.Tokenization;

/// <summary>Every line of decode_cases.jsonl (partial UTF-8, single tokens, special-token skipping).</summary>
public class GoldenDecodeTests
{
    public static TheoryData<int> AllCases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < TokenizerGolden.DecodeCases.Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void DecodeMatchesHuggingFace(int index)
    {
        var golden = TokenizerGolden.DecodeCases[index];
        var tokenizer = TokenizerGolden.Tokenizer();

        Assert.Equal(golden.Decoded, tokenizer.Decode(golden.Ids, golden.SkipSpecialTokens));
        Assert.Equal(golden.Tokens, golden.Ids.Select(tokenizer.IdToToken));
    }

    [Fact]
    public void GoldenFileHasTheDocumentedNumberOfCases() => Assert.Equal(106, TokenizerGolden.DecodeCases.Count);

    [Fact]
    public void UnknownIdIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerGolden.Tokenizer().Decode([16, 99_999]));
}
