using SeekSharp.Server.Processing;

namespace SeekSharp.Server.Tests.Processing;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void Without_stop_strings_text_passes_straight_through()
    {
        var matcher = new StopStringMatcher([]);
        Assert.Equal("abc", matcher.Push("abc"));
        Assert.Equal("", matcher.Flush());
        Assert.False(matcher.Stopped);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(100)]
    public void A_stop_string_split_across_pushes_is_found_and_cut(int chunk)
    {
        var matcher = new StopStringMatcher(["END", "\n\n"]);
        const string text = "hello wor\nld ENDING more";
        var output = "";
        for (var i = 0; i < text.Length && !matcher.Stopped; i += chunk)
            output += matcher.Push(text.Substring(i, Math.Min(chunk, text.Length - i)));
        Assert.True(matcher.Stopped);
        Assert.Equal("END", matcher.MatchedStop);
        Assert.Equal("hello wor\nld ", output);
        Assert.Equal("", matcher.Push("after"));
    }

    [Fact]
    public void A_possible_start_of_a_stop_string_is_held_until_decided()
    {
        var matcher = new StopStringMatcher(["</answer>"]);
        Assert.Equal("x ", matcher.Push("x </ans"));
        Assert.Equal("", matcher.Push("wer"));            // "</answer" can still become "</answer>"
        Assert.Equal("</answerX", matcher.Push("X"));     // now it cannot
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void The_earliest_stop_string_wins()
    {
        var matcher = new StopStringMatcher(["bbb", "ab"]);
        Assert.Equal("x", matcher.Push("xabbb"));
        Assert.Equal("ab", matcher.MatchedStop);
    }

    [Fact]
    public void Flush_returns_held_text_when_no_stop_came()
    {
        var matcher = new StopStringMatcher(["STOP"]);
        Assert.Equal("go ", matcher.Push("go ST"));
        Assert.Equal("ST", matcher.Flush());
        Assert.False(matcher.Stopped);
    }
}
