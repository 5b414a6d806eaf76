using SeekSharp.IO.Tokenization;

namespace SeekSharp.IO.Tests.Tokenization;

/// <summary>Every line of cases.jsonl, with both merge formats of the golden tokenizer.</summary>
public class GoldenEncodeTests
{
    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in new[] { TokenizerGolden.PairMerges, TokenizerGolden.LegacyMerges })
            for (var i = 0; i < TokenizerGolden.Cases.Count; i++) data.Add(file, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void EncodeMatchesHuggingFace(string file, int index)
    {
        var golden = TokenizerGolden.Cases[index];
        var tokenizer = TokenizerGolden.Tokenizer(file);

        var (ids, tokens) = tokenizer.EncodeWithTokens(golden.Text);

        Assert.Equal(golden.Ids, ids);
        Assert.Equal(golden.Tokens, tokens);
        Assert.Equal(golden.Ids, tokenizer.Encode(golden.Text));
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void DecodeOfGoldenIdsMatchesHuggingFace(string file, int index)
    {
        var golden = TokenizerGolden.Cases[index];
        var tokenizer = TokenizerGolden.Tokenizer(file);

        Assert.Equal(golden.Decoded, tokenizer.Decode(golden.Ids));
        Assert.Equal(golden.DecodedSkipSpecial, tokenizer.Decode(golden.Ids, skipSpecialTokens: true));
    }

    /// <summary>Cases whose golden pretokens are given (null when the text contains added tokens).</summary>
    public static TheoryData<int> CasesWithPreTokens()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < TokenizerGolden.Cases.Count; i++)
            if (TokenizerGolden.Cases[i].PreTokens is not null) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesWithPreTokens))]
    public void PreTokenizeMatchesHuggingFace(int index)
    {
        var golden = TokenizerGolden.Cases[index];

        Assert.Equal(golden.PreTokens, TokenizerGolden.Tokenizer().PreTokenize(golden.Text));
    }

    [Fact]
    public void PreTokenizeKeepsAddedTokensWhole()
    {
        var pieces = TokenizerGolden.Tokenizer().PreTokenize(" <｜User｜> hi");

        Assert.Equal([" ", "<｜User｜>", " hi"], pieces);
    }

    [Fact]
    public void GoldenFileHasTheDocumentedNumberOfCases() => Assert.Equal(243, TokenizerGolden.Cases.Count);

    [Fact]
    public void TokenToIdAndIdToTokenRoundTripOverTheGoldenTokens()
    {
        var tokenizer = TokenizerGolden.Tokenizer();
        foreach (var golden in TokenizerGolden.Cases)
        {
            for (var i = 0; i < golden.Ids.Length; i++)
            {
                Assert.Equal(golden.Ids[i], tokenizer.TokenToId(golden.Tokens[i]));
                Assert.Equal(golden.Tokens[i], tokenizer.IdToToken(golden.Ids[i]));
            }
        }
    }

    [Fact]
    public void VocabSizeCoversBpeAndAddedIds()
    {
        // build_info.json: 3000 BPE entries, added tokens up to id 3020.
        Assert.Equal(3021, TokenizerGolden.Tokenizer().VocabSize);
        Assert.Null(TokenizerGolden.Tokenizer().TokenToId("no such token"));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerGolden.Tokenizer().IdToToken(3021));
    }

    [Fact]
    public void ConcurrentEncodesGiveTheSameIdsAsSequentialOnes()
    {
        // A fresh instance so that the BPE cache is being filled while threads race.
        var tokenizer = DeepSeekTokenizer.Load(TokenizerGolden.PathOf(TokenizerGolden.PairMerges));
        var cases = TokenizerGolden.Cases;
        Parallel.For(0, cases.Count * 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var golden = cases[i % cases.Count];
            Assert.Equal(golden.Ids, tokenizer.EncodeToIds(golden.Text));
        });
    }
}
