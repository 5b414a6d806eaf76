using System.ClientModel.Primitives;
using OpenAI.Chat;
using SeekSharp.Server.Processing;
using SeekSharp.Server.Responses;

namespace SeekSharp.Server.Tests.Responses;

/// <summary>
/// The OpenAI SDK's own deserializers read what the server writes for replies an untrained test model never produces
/// (tool calls): a chat.completion with calls and finish_reason tool_calls, and the streaming tool-call delta.
/// </summary>
public sealed class SdkReadsOurJsonTests
{
    private static readonly TokenStrings s_strings = new(TestTokenizer.Instance);

    [Fact]
    public void A_completion_with_tool_calls_reads_as_tool_calls()
    {
        var result = new ChatCompletionResult("chatcmpl-x", 1700000000, "m", "", "I will look it up.",
            [new IO.Chat.ToolCall("get_weather", "{\"city\": \"Paris\"}", "call_1"), new IO.Chat.ToolCall("get_time", "{}", "call_2")],
            "tool_calls", null, new Usage(20, 9, 16, 5));

        var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromBytes(ChatCompletionJson.Write(result, s_strings)))!;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal(["call_1", "call_2"], completion.ToolCalls.Select(c => c.Id));
        Assert.Equal("get_weather", completion.ToolCalls[0].FunctionName);
        Assert.Equal("{\"city\": \"Paris\"}", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal(16, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(5, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public void A_streamed_tool_call_delta_reads_as_a_tool_call_update()
    {
        var chunks = new ChatChunkJson("chatcmpl-x", 1700000000, "m", includeUsage: true, s_strings);

        var update = ModelReaderWriter.Read<StreamingChatCompletionUpdate>(
            BinaryData.FromBytes(chunks.Delta(new ToolCallChunk(1, new IO.Chat.ToolCall("get_time", "{\"tz\": \"UTC\"}", "call_7")), null)))!;
        var finish = ModelReaderWriter.Read<StreamingChatCompletionUpdate>(BinaryData.FromBytes(chunks.Finish("tool_calls", null)))!;

        var call = Assert.Single(update.ToolCallUpdates);
        Assert.Equal(1, call.Index);
        Assert.Equal("call_7", call.ToolCallId);
        Assert.Equal("get_time", call.FunctionName);
        Assert.Equal("{\"tz\": \"UTC\"}", call.FunctionArgumentsUpdate.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish.FinishReason);
    }
}
