using SeekSharp.IO.Chat;
using SeekSharp.Server.Processing;

namespace SeekSharp.Server.Tests.Processing;

/// <summary>The output processor over the real tokenizer: fixed completions, fed one token id at a time.</summary>
public sealed class ChatOutputProcessorTests
{
    private static readonly string s_toolBlock =
        "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n" +
        "<｜DSML｜parameter name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n" +
        "<｜DSML｜parameter name=\"days\" string=\"false\">3</｜DSML｜parameter>\n" +
        "</｜DSML｜invoke>\n</｜DSML｜function_calls>";

    private sealed record Collected(string Reasoning, string Content, List<ToolCallChunk> Calls, int Deltas);

    private static Collected Run(ChatOutputProcessor processor, IEnumerable<int> ids)
    {
        var deltas = new List<ChatDelta>();
        foreach (var id in ids)
        {
            deltas.AddRange(processor.Push(id));
            if (processor.StoppedByString) break;
        }
        deltas.AddRange(processor.Complete());
        return new Collected(
            string.Concat(deltas.OfType<ReasoningChunk>().Select(d => d.Text)),
            string.Concat(deltas.OfType<ContentChunk>().Select(d => d.Text)),
            deltas.OfType<ToolCallChunk>().ToList(),
            deltas.Count);
    }

    private static IReadOnlyList<int> Tokens(string text) => TestTokenizer.Instance.Encode(text);

    [Fact]
    public void Thinking_reply_splits_into_reasoning_and_content_and_counts_reasoning_tokens()
    {
        var reasoningIds = Tokens("The user greets me. I greet back.");
        var ids = Tokens("The user greets me. I greet back.</think>Hello there!" + DsmlTokens.Eos);
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Thinking, []);

        var result = Run(processor, ids);

        Assert.Equal("The user greets me. I greet back.", result.Reasoning);
        Assert.Equal("Hello there!", result.Content);
        Assert.Empty(result.Calls);
        Assert.Equal(reasoningIds.Count + 1, processor.ReasoningTokens);   // + the </think> token
        Assert.True(processor.SawEndOfSentence);
        Assert.Null(processor.ParseProblem);
    }

    [Fact]
    public void Tool_call_block_becomes_one_tool_call_with_json_arguments_and_an_id()
    {
        var ids = Tokens("Let me check." + s_toolBlock + DsmlTokens.Eos);
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Chat, [], newToolCallId: () => "call_test");

        var result = Run(processor, ids);

        Assert.Equal("Let me check.", result.Content);
        var call = Assert.Single(result.Calls);
        Assert.Equal(0, call.Index);
        Assert.Equal(new ToolCall("get_weather", "{\"city\": \"Paris\", \"days\": 3}", "call_test"), call.Call);
        Assert.Equal(1, processor.ToolCallCount);
        Assert.Equal(0, processor.ReasoningTokens);
    }

    [Fact]
    public void Forced_prefix_is_parsed_but_never_streamed()
    {
        var prefix = "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n";
        var rest = s_toolBlock[prefix.Length..] + DsmlTokens.Eos;
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Chat, [], prefix);

        var result = Run(processor, Tokens(rest));

        Assert.Equal("", result.Content);
        Assert.Equal("get_weather", Assert.Single(result.Calls).Call.Name);
    }

    [Fact]
    public void Stop_string_ends_the_content_before_it()
    {
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Chat, ["STOP"]);

        var result = Run(processor, Tokens("one two STOP three" + DsmlTokens.Eos));

        Assert.True(processor.StoppedByString);
        Assert.Equal("one two ", result.Content);
    }

    [Fact]
    public void Truncated_output_passes_through_as_content()
    {
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Chat, []);

        var result = Run(processor, Tokens("partial answer"));   // max_tokens cut it: no EOS

        Assert.Equal("partial answer", result.Content);
        Assert.False(processor.SawEndOfSentence);
    }

    [Fact]
    public void Ids_past_the_tokenizer_vocabulary_produce_no_text()
    {
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Chat, []);
        var ids = Tokens("a").Concat([TestTokenizer.Instance.VocabSize + 7]).Concat(Tokens("b"));

        var result = Run(processor, ids);

        Assert.Equal("ab", result.Content);
    }

    [Fact]
    public void Multibyte_characters_split_across_tokens_arrive_whole()
    {
        var processor = new ChatOutputProcessor(TestTokenizer.Instance, ThinkingMode.Chat, []);
        const string text = "naïve 中文 👍 done";
        var pieces = new List<string>();
        foreach (var id in Tokens(text + DsmlTokens.Eos))
            pieces.AddRange(processor.Push(id).OfType<ContentChunk>().Select(c => c.Text));
        pieces.AddRange(processor.Complete().OfType<ContentChunk>().Select(c => c.Text));

        Assert.Equal(text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }
}
