using SeekSharp.IO.Tokenization;
using SeekSharp.Testing;

namespace SeekSharp.Engine.Tests;

public sealed class StopStringMatcherTests
{
    private static readonly Lazy<DeepSeekTokenizer> s_tokenizer =
        new(() => DeepSeekTokenizer.Load(SharedData.Path("golden", "tokenizer", "tokenizer.json")));

    [Fact]
    public void Text_that_may_start_a_stop_string_is_held_back_until_ruled_out()
    {
        var matcher = new StopStringMatcher(new StreamingDetokenizer(s_tokenizer.Value), ["</answer>"]);
        Assert.Equal("The value", matcher.PushText("The value"));
        Assert.Equal(" is 4 ", matcher.PushText(" is 4 </"));
        Assert.Equal("</b", matcher.PushText("b"));                     // "</b" cannot start "</answer>"
        Assert.Equal("", matcher.PushText("</ans"));
        Assert.Equal("", matcher.PushText("wer> and more"));
        Assert.True(matcher.Stopped);
        Assert.Equal("</answer>", matcher.MatchedStop);
        Assert.Equal("", matcher.PushText("after"));
    }

    [Fact]
    public void Text_before_a_stop_inside_one_piece_is_released_and_the_earliest_stop_wins()
    {
        var matcher = new StopStringMatcher(new StreamingDetokenizer(s_tokenizer.Value), ["STOP", "\n\n"]);
        Assert.Equal("one\ntwo", matcher.PushText("one\ntwo\n\nthree STOP"));
        Assert.Equal("\n\n", matcher.MatchedStop);
    }

    [Fact]
    public void Tokens_are_detokenized_and_the_rest_is_flushed_when_no_stop_appears()
    {
        var tokenizer = s_tokenizer.Value;
        var ids = tokenizer.EncodeToIds("Hello world, stop here. Bye");
        var stopping = new StopStringMatcher(tokenizer, [" here."]);
        var shown = string.Concat(ids.Select(stopping.Push));
        Assert.True(stopping.Stopped);
        Assert.Equal("Hello world, stop", shown);

        var plain = new StopStringMatcher(tokenizer, ["Byte"]);
        var text = string.Concat(ids.Select(plain.Push)) + plain.Flush();
        Assert.False(plain.Stopped);
        Assert.Equal("Hello world, stop here. Bye", text);
    }
}
