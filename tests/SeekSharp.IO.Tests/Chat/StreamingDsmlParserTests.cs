using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Chat.Parsing;

namespace SeekSharp.IO.Tests.Chat;

public class StreamingDsmlParserTests
{
    private const string Eos = DsmlTokens.Eos;

    [Fact]
    public void HoldsBackAPossibleToolCallMarker()
    {
        var parser = new StreamingDsmlParser(ThinkingMode.Chat);
        Assert.Equal([new ContentDelta("Let me check.")], parser.Push("Let me check.\n\n<｜DSML｜func"));
        Assert.Empty(parser.Push("tion_calls>\n<｜DSML｜invoke name=\"t\">\n"));
        Assert.Empty(parser.Push("</｜DSML｜invoke"));
        Assert.Equal([new ToolCallParsed("t", "{}")], parser.Push(">\n</｜DSML｜function_calls>"));
        Assert.Empty(parser.Push("<｜end▁of▁sentence"));
        Assert.Empty(parser.Push("｜>"));
        Assert.Equal([new StreamEnd("tool_calls", true, null)], parser.Complete());
    }

    [Fact]
    public void ReleasesHeldTextOnceItCannotBeAMarker()
    {
        var parser = new StreamingDsmlParser(ThinkingMode.Chat);
        Assert.Equal([new ContentDelta("a")], parser.Push("a\n"));
        Assert.Equal([new ContentDelta("\nb")], parser.Push("b"));
        Assert.Equal([new ContentDelta("x")], parser.Push("x<｜end▁of▁"));
        Assert.Equal([new ContentDelta("<｜end▁of▁x")], parser.Push("x"));
    }

    [Fact]
    public void ThinkingStreamStartsInReasoningAndSplitsAtThinkEnd()
    {
        var parser = new StreamingDsmlParser(ThinkingMode.Thinking);
        Assert.Equal([new ReasoningDelta("hmm")], parser.Push("hmm</th"));
        Assert.Equal([new ContentDelta("ok")], parser.Push("ink>ok"));
        Assert.Empty(parser.Push("<｜end▁of"));
        Assert.Empty(parser.Push("▁sentence｜>"));
        Assert.Equal([new StreamEnd("stop", true, null)], parser.Complete());
    }

    [Fact]
    public void TruncatedReasoningIsKeptAndFlagged()
    {
        var parser = new StreamingDsmlParser(ThinkingMode.Thinking);
        Assert.Equal([new ReasoningDelta("still ")], parser.Push("still </thi"));
        Assert.Equal(
            [new ReasoningDelta("</thi"), new ParseProblem("Invalid thinking format"), new StreamEnd("stop", false, "Invalid thinking format")],
            parser.Complete());
    }

    [Fact]
    public void AfterAProblemEverythingPassesThroughAsContent()
    {
        var parser = new StreamingDsmlParser(ThinkingMode.Chat);
        var first = parser.Push("Hi" + Eos + "more");
        Assert.Equal([new ContentDelta("Hi"), new ParseProblem("Unexpected content at end"), new ContentDelta("more")], first);
        Assert.Equal([new ContentDelta("</think>" + Eos)], parser.Push("</think>" + Eos));
        Assert.Equal("Unexpected content at end", parser.Problem);
        Assert.Equal([new StreamEnd("stop", true, "Unexpected content at end")], parser.Complete());
    }

    [Fact]
    public void MisuseIsRejected()
    {
        var parser = new StreamingDsmlParser(ThinkingMode.Chat);
        parser.Complete();
        Assert.Throws<InvalidOperationException>(() => parser.Push("x"));
        Assert.Throws<InvalidOperationException>(() => parser.Complete());
    }

    [Fact]
    public void LongParameterValueInTinyDeltasIsParsedOnce()
    {
        var value = string.Concat(Enumerable.Repeat("line of code <tag> \"quoted\"\n", 4000));
        var completion = "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"write\">\n<｜DSML｜parameter name=\"body\" string=\"true\">"
            + value + "</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>" + Eos;
        var chunks = Enumerable.Range(0, (completion.Length + 2) / 3).Select(i => completion.Substring(i * 3, Math.Min(3, completion.Length - i * 3)));
        var summary = StreamingHarness.Summarize(ThinkingMode.Chat, chunks);
        Assert.Equal(DsmlCompletionParser.Parse(completion, ThinkingMode.Chat).ToolCalls, summary.ToolCalls);
        Assert.Null(summary.Problem);
    }

    // Every prefix of every golden completion (a generation cut anywhere) and seeded single-character edits:
    // the stream never throws, agrees with the batch parser on success and on the error message, and never
    // loses text: reasoning is a prefix of the completion, content follows it, raw text is its suffix.
    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ParseNames), MemberType = typeof(GoldenEncodingCases))]
    public void TruncatedAndEditedCompletionsAgreeWithTheBatchParser(string name)
    {
        var request = PromptCaseJson.ReadParseRequest(GoldenEncodingCases.ParseLines[name]);
        var text = request.Completion;
        var random = new Random(name.Length * 31 + 17);
        var variants = Enumerable.Range(0, text.Length + 1).Select(i => text[..i]).ToList();
        string[] inserts = ["\n", ">", "<", "\"", " ", "x", Eos, "</think>", "\n\n<｜DSML｜function_calls>\n", "<｜DSML｜invoke name=\"f\">\n"];
        for (var n = 0; n < 300 && text.Length > 0; n++)
        {
            var at = random.Next(text.Length);
            variants.Add(random.Next(2) == 0
                ? text.Remove(at, 1)
                : text.Insert(at, inserts[random.Next(inserts.Length)]));
        }

        foreach (var variant in variants)
        {
            var events = StreamingHarness.Run(request.ThinkingMode, [variant]);
            var summary = StreamingHarness.Summarize(events);
            AssertAgreesWithBatch(variant, request.ThinkingMode, summary);
            AssertKeepsText(variant, request.ThinkingMode, summary);
            foreach (var chunks in StreamingHarness.RandomChunkings(variant, seed: variant.Length, count: 2))
                Assert.Equal(summary, StreamingHarness.Summarize(request.ThinkingMode, chunks));
        }
    }

    private static void AssertAgreesWithBatch(string completion, ThinkingMode mode, StreamingHarness.Summary summary)
    {
        ParsedAssistantMessage? parsed = null;
        string? error = null;
        try
        {
            parsed = DsmlCompletionParser.Parse(completion, mode);
        }
        catch (DsmlParseException e)
        {
            error = e.Message;
        }
        if (parsed is not null)
        {
            Assert.Null(summary.Problem);
            Assert.Equal(parsed.Reasoning, summary.Reasoning);
            Assert.Equal(parsed.Content, summary.Content);
            Assert.Equal(parsed.ToolCalls, summary.ToolCalls);
            return;
        }
        Assert.NotNull(summary.Problem);
        // EOS inside reasoning ends the stream's reasoning at once; the batch parser may only notice later
        if (!(mode == ThinkingMode.Thinking && summary.End.SawEndOfSentence && summary.Reasoning.Length + Eos.Length <= completion.Length
              && completion.AsSpan(summary.Reasoning.Length).StartsWith(Eos, StringComparison.Ordinal)))
            Assert.Equal(error, summary.Problem);
    }

    private static void AssertKeepsText(string completion, ThinkingMode mode, StreamingHarness.Summary summary)
    {
        Assert.StartsWith(summary.Reasoning, completion, StringComparison.Ordinal);
        Assert.EndsWith(summary.Raw, completion, StringComparison.Ordinal);
        var afterReasoning = summary.Reasoning.Length;
        if (mode == ThinkingMode.Thinking && completion.AsSpan(afterReasoning).StartsWith(DsmlTokens.ThinkEnd, StringComparison.Ordinal))
            afterReasoning += DsmlTokens.ThinkEnd.Length;
        Assert.True(completion.AsSpan(afterReasoning).StartsWith(summary.Content, StringComparison.Ordinal), "content follows the reasoning");
        Assert.True(afterReasoning + summary.Content.Length <= completion.Length - summary.Raw.Length, "raw text does not overlap content");
    }
}
