using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tests.Tokenization;

/// <summary>The code-point regex engine against behaviour Oniguruma has on the same patterns.</summary>
public class CodePointRegexTests
{
    private static string[] Matches(string pattern, string text) =>
        new CodePointRegex(pattern).Matches(text).Select(m => text.Substring(m.Start, m.Length)).ToArray();

    [Fact]
    public void LetterClassMatchesAstralLettersAsOneCharacter() =>
        Assert.Equal(["a𠀀b", "𝔘"], Matches(@"\p{L}+", "a𠀀b 𝔘"));

    [Fact]
    public void SymbolClassMatchesEmoji() => Assert.Equal([" 👍"], Matches(@" ?[\p{P}\p{S}]+", "x 👍"));

    [Fact]
    public void NegatedClassConsumesAWholeSurrogatePair() =>
        Assert.Equal(["😀", "😀"], Matches(@"[^a]", "😀a😀"));

    [Fact]
    public void CountedRepeatChunksFromTheLeft() =>
        Assert.Equal(["123", "456", "7"], Matches(@"\p{N}{1,3}", "1234567"));

    [Fact]
    public void NegativeLookaheadGivesBackTheLastSpace() =>
        Assert.Equal(["  ", " b"], Matches(@"\s+(?!\S)| ?\p{L}+", "   b"));

    [Fact]
    public void AlternationTakesTheFirstAlternativeThatMatches() =>
        Assert.Equal(["'s"], Matches(@"'s|'\p{L}+", "'st"));

    [Fact]
    public void LazyQuantifierStopsEarly() => Assert.Equal(["<a>", "<b>"], Matches("<.+?>", "<a><b>"));

    [Fact]
    public void BraceThatIsNotAQuantifierIsALiteral() => Assert.Equal(["{x"], Matches("{x", "a{x"));

    [Fact]
    public void LiteralRangeOfCjkCharacters() =>
        Assert.Equal(["中文", "かな"], Matches("[一-龥぀-ゟ]+", "abc中文defかな"));

    [Fact]
    public void WhitespaceIsTheUnicodeWhiteSpaceSet()
    {
        Assert.Equal(["\u00A0\u3000\u2028"], Matches(@"\s+", "a\u00A0\u3000\u2028b"));
        Assert.Empty(Matches(@"\s", "\u001C\u200B")); // Python's isspace() has U+001C; White_Space does not; ZWSP is Cf
    }

    [Theory]
    [InlineData("(?<=a)b", "lookbehind")]
    [InlineData("(a)\\1", "backreference")]
    [InlineData("(?i)a", "inline options")]
    [InlineData("a++", "possessive")]
    [InlineData("\\p{Han}", "Han")]
    [InlineData("[a", "unterminated")]
    [InlineData("(?:a?)*", "empty")]
    public void UnsupportedOrBrokenPatternsAreRejected(string pattern, string mentioned)
    {
        var error = Assert.Throws<FormatException>(() => new CodePointRegex(pattern));
        Assert.Contains(mentioned, error.Message);
    }
}
