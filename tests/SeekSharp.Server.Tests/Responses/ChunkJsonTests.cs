using System.Text.Json;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.Server.Processing;
using SeekSharp.Server.Responses;

namespace SeekSharp.Server.Tests.Responses;

public sealed class ChunkJsonTests
{
    private static readonly TokenStrings s_strings = new(TestTokenizer.Instance);

    private static JsonElement Parse(byte[] json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void Reasoning_delta_carries_both_spellings()
    {
        var chunks = new ChatChunkJson("chatcmpl-1", 5, "m", includeUsage: true, s_strings);

        var chunk = Parse(chunks.Delta(new ReasoningChunk("hmm"), null));

        Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString());
        var delta = chunk.GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal("hmm", delta.GetProperty("reasoning_content").GetString());
        Assert.Equal("hmm", delta.GetProperty("reasoning").GetString());
        Assert.Equal(JsonValueKind.Null, chunk.GetProperty("usage").ValueKind);
        Assert.Equal(JsonValueKind.Null, chunk.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
    }

    [Fact]
    public void Tool_call_delta_has_index_id_name_and_arguments()
    {
        var chunks = new ChatChunkJson("chatcmpl-1", 5, "m", includeUsage: false, s_strings);

        var chunk = Parse(chunks.Delta(new ToolCallChunk(1, new ToolCall("f", "{\"a\": 1}", "call_x")), null));

        var call = chunk.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0];
        Assert.Equal(1, call.GetProperty("index").GetInt32());
        Assert.Equal("call_x", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("f", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("{\"a\": 1}", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.False(chunk.TryGetProperty("usage", out _));
    }

    [Fact]
    public void Usage_chunk_has_no_choices_and_the_detail_counts()
    {
        var chunks = new ChatChunkJson("chatcmpl-1", 5, "m", includeUsage: true, s_strings);

        var chunk = Parse(chunks.UsageChunk(new Usage(10, 4, 6, 3)));

        Assert.Equal(0, chunk.GetProperty("choices").GetArrayLength());
        var usage = chunk.GetProperty("usage");
        Assert.Equal(14, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(6, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public void Chat_logprobs_list_token_text_bytes_and_alternatives()
    {
        var ids = TestTokenizer.Instance.Encode("Hello");
        var entry = new TokenLogprobEntry(ids[0], new TokenLogprob(-0.5f, [new TopLogprob(ids[0], -0.5f), new TopLogprob(1, float.NegativeInfinity)]));
        var chunks = new ChatChunkJson("chatcmpl-1", 5, "m", includeUsage: false, s_strings);

        var content = Parse(chunks.LogprobsOnly([entry])).GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content")[0];

        Assert.Equal(TestTokenizer.Instance.Decode([ids[0]]), content.GetProperty("token").GetString());
        Assert.Equal(-0.5, content.GetProperty("logprob").GetDouble(), 6);
        Assert.True(content.GetProperty("bytes").GetArrayLength() > 0);
        Assert.Equal(2, content.GetProperty("top_logprobs").GetArrayLength());
        Assert.Equal(-9999, content.GetProperty("top_logprobs")[1].GetProperty("logprob").GetDouble());
    }

    [Fact]
    public void Completion_logprobs_use_the_legacy_shape_with_offsets()
    {
        var ids = TestTokenizer.Instance.Encode("Hello world");
        var entries = ids.Select(id => new TokenLogprobEntry(id, new TokenLogprob(-1f, [new TopLogprob(id, -1f)]))).ToList();
        var json = new CompletionJson("cmpl-1", 5, "m", s_strings);

        var choice = Parse(json.Response([new CompletionChoice(0, "Hello world", "length", entries, 0)], new Usage(3, ids.Count, 0, 0)))
            .GetProperty("choices")[0];

        var logprobs = choice.GetProperty("logprobs");
        Assert.Equal("Hello world", string.Concat(logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString())));
        Assert.Equal(ids.Count, logprobs.GetProperty("token_logprobs").GetArrayLength());
        Assert.Equal(0, logprobs.GetProperty("text_offset")[0].GetInt32());
        Assert.Single(logprobs.GetProperty("top_logprobs")[0].EnumerateObject());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
    }
}
