using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Chat.Parsing;

namespace SeekSharp.IO.Tests.Chat;

public class StreamingDsmlParserGoldenTests
{
    private const int RandomChunkingsPerCase = 200;

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ValidParseNames), MemberType = typeof(GoldenEncodingCases))]
    public void EveryChunkingAddsUpToTheBatchResult(string name)
    {
        var request = PromptCaseJson.ReadParseRequest(GoldenEncodingCases.ParseLines[name]);
        var expected = DsmlCompletionParser.Parse(request.Completion, request.ThinkingMode);
        DsmlCompletionParserGoldenTests.AssertMatchesExpected(GoldenEncodingCases.Parse(name).GetProperty("expected"), expected);

        var chunkings = StreamingHarness.TwoChunkSplits(request.Completion)
            .Concat(StreamingHarness.RandomChunkings(request.Completion, seed: name.Length * 7919, RandomChunkingsPerCase))
            .Append([.. StreamingHarness.OneCharAtATime(request.Completion)]);
        foreach (var chunks in chunkings)
        {
            var summary = StreamingHarness.Summarize(request.ThinkingMode, chunks);
            Assert.Null(summary.Problem);
            Assert.Equal(expected.Reasoning, summary.Reasoning);
            Assert.Equal(expected.Content, summary.Content);
            Assert.Equal(expected.ToolCalls, summary.ToolCalls);
            Assert.Equal("", summary.Raw);
            Assert.Equal(expected.ToolCalls.Count > 0 ? "tool_calls" : "stop", summary.End.FinishReason);
        }
    }

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ErrorParseNames), MemberType = typeof(GoldenEncodingCases))]
    public void MalformedOutputIsFlaggedNeverThrowsAndIsChunkingIndependent(string name)
    {
        var request = PromptCaseJson.ReadParseRequest(GoldenEncodingCases.ParseLines[name]);
        var referenceError = GoldenEncodingCases.Parse(name).GetProperty("expected_error").GetProperty("message").GetString();
        var whole = StreamingHarness.Summarize(request.ThinkingMode, [request.Completion]);
        Assert.Equal(referenceError, whole.Problem);

        var chunkings = StreamingHarness.TwoChunkSplits(request.Completion)
            .Concat(StreamingHarness.RandomChunkings(request.Completion, seed: name.Length * 104729, RandomChunkingsPerCase))
            .Append([.. StreamingHarness.OneCharAtATime(request.Completion)]);
        foreach (var chunks in chunkings)
            Assert.Equal(whole, StreamingHarness.Summarize(request.ThinkingMode, chunks));
    }

    // What each malformed golden completion streams as, worked out from the parse rules by hand: the valid
    // prefix as reasoning/content/tool calls (markers consumed), then everything unparsed as raw content.
    [Theory]
    [InlineData("error_missing_eos_plain", "", "Hello, no end token", "", "")]
    [InlineData("error_thinking_missing_think_end", "I am still thinking and never close", "", "", "")]
    [InlineData("error_thinking_tool_calls_without_think_end", "reasoning...", "", "", "\n\n<｜DSML｜function_calls>")]
    [InlineData("error_no_newline_after_function_calls", "", "", "", "\n\n<｜DSML｜function_calls>")]
    [InlineData("error_truncated_inside_parameter", "", "", "", "\n\n<｜DSML｜function_calls>")]
    [InlineData("error_truncated_before_function_calls_close", "", "", "get_time", "")]
    [InlineData("error_bad_string_attribute", "", "", "", "\n\n<｜DSML｜function_calls>")]
    [InlineData("error_content_after_eos", "", "Hi", "", "extra")]
    [InlineData("error_content_after_tool_calls", "", "", "get_time", "\nDone.")]
    [InlineData("error_special_token_in_content", "", "Use <think> tags like this.", "", "")]
    [InlineData("error_chat_mode_text_with_think_end", "", "reasoning</think>answer", "", "")]
    [InlineData("error_dsml_token_in_reasoning", "I could write <｜DSML｜invoke here", "answer", "", "")]
    [InlineData("error_second_function_calls_block", "", "", "get_time", "\n\n<｜DSML｜function_calls>")]
    public void MalformedOutputKeepsAllText(string name, string reasoning, string content, string call, string rawStartsWith)
    {
        var request = PromptCaseJson.ReadParseRequest(GoldenEncodingCases.ParseLines[name]);
        var summary = StreamingHarness.Summarize(request.ThinkingMode, StreamingHarness.OneCharAtATime(request.Completion));
        Assert.Equal(reasoning, summary.Reasoning);
        Assert.Equal(content, summary.Content);
        Assert.Equal(call, string.Join(",", summary.ToolCalls.Select(c => c.Name)));
        var expectedRaw = rawStartsWith.Length == 0 ? "" : request.Completion[request.Completion.LastIndexOf(rawStartsWith, StringComparison.Ordinal)..];
        Assert.Equal(expectedRaw, summary.Raw);
        Assert.NotNull(summary.Problem);
    }
}
