using SeekSharp.IO.Tokenization;

namespace SeekSharp.IO.Tests.Tokenization;

public class StreamingDetokenizerTests
{
    public static TheoryData<int> AllCases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < TokenizerGolden.Cases.Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void PushingOneIdAtATimeRebuildsTheDecodedText(int index)
    {
        var golden = TokenizerGolden.Cases[index];
        foreach (var skip in new[] { false, true })
        {
            var expected = skip ? golden.DecodedSkipSpecial : golden.Decoded;
            var chunks = Stream(golden.Ids, skip);

            Assert.Equal(expected, string.Concat(chunks));
            AssertNoBrokenCharacters(chunks, expected);
        }
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void EveryPrefixStreamsToTheSameTextAsDecode(int index)
    {
        // Prefixes may end inside a character: the held bytes come out of Flush as Decode renders them.
        var golden = TokenizerGolden.Cases[index];
        var tokenizer = TokenizerGolden.Tokenizer();
        for (var n = 0; n <= golden.Ids.Length; n++)
        {
            var prefix = golden.Ids[..n];
            Assert.Equal(tokenizer.Decode(prefix), string.Concat(Stream(prefix, skipSpecial: false)));
        }
    }

    [Fact]
    public void AnEmojiSplitOverTokensIsHeldBackUntilComplete()
    {
        // decode_cases "zwj family": the last two tokens (721, 102) each carry part of 👦.
        var stream = TokenizerGolden.Tokenizer().CreateStreamingDetokenizer();
        int[] ids = [1268, 821, 1268, 821, 1402, 821, 721, 102];
        var chunks = ids.Select(stream.Push).ToList();

        Assert.Equal("", chunks[6]);
        Assert.Equal("👦", chunks[7]);
        Assert.Equal("", stream.Flush());
        Assert.Equal("👩\u200d👩\u200d👧\u200d👦", string.Concat(chunks));
    }

    [Fact]
    public void FlushTurnsAnUnfinishedCharacterIntoReplacementCharacter()
    {
        var stream = TokenizerGolden.Tokenizer().CreateStreamingDetokenizer();

        Assert.Equal("", stream.Push(721));
        Assert.Equal("\uFFFD", stream.Flush());
    }

    [Fact]
    public void SkippedSpecialTokensProduceNothing()
    {
        var stream = TokenizerGolden.Tokenizer().CreateStreamingDetokenizer(skipSpecialTokens: true);

        Assert.Equal("", stream.Push(0));
        Assert.Equal("<｜User｜>", stream.Push(3009));
    }

    private static List<string> Stream(int[] ids, bool skipSpecial)
    {
        var stream = new StreamingDetokenizer(TokenizerGolden.Tokenizer(), skipSpecial);
        var chunks = ids.Select(stream.Push).ToList();
        chunks.Add(stream.Flush());
        return chunks;
    }

    private static void AssertNoBrokenCharacters(List<string> chunks, string fullText)
    {
        var fullHasReplacement = fullText.Contains('\uFFFD');
        foreach (var chunk in chunks)
        {
            if (!fullHasReplacement) Assert.DoesNotContain('\uFFFD', chunk);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (char.IsHighSurrogate(chunk[i]))
                {
                    Assert.True(i + 1 < chunk.Length && char.IsLowSurrogate(chunk[i + 1]), $"lone high surrogate in chunk '{chunk}'");
                    i++;
                }
                else Assert.False(char.IsLowSurrogate(chunk[i]), $"lone low surrogate in chunk '{chunk}'");
            }
        }
    }
}
