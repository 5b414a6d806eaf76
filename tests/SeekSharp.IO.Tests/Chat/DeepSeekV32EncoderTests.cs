using System.Text.Json;
using SeekSharp.IO.Chat;

namespace SeekSharp.IO.Tests.Chat;

// Hand-written expectations from the encoding rules (README rules 1-13), beside the golden cases.
public class DeepSeekV32EncoderTests
{
    private const string Bos = DsmlTokens.Bos;
    private const string Eos = DsmlTokens.Eos;

    [Fact]
    public void ChatTurnsEndWithThinkEndAndThinkingOpensOnlyTheLastUser()
    {
        Message[] messages = [Message.User("a"), Message.Assistant("b"), Message.User("c")];
        Assert.Equal($"{Bos}<｜User｜>a<｜Assistant｜></think>b{Eos}<｜User｜>c<｜Assistant｜></think>", DeepSeekV32Encoder.Encode(messages, EncodeOptions.Chat));
        Assert.Equal($"{Bos}<｜User｜>a<｜Assistant｜></think>b{Eos}<｜User｜>c<｜Assistant｜><think>", DeepSeekV32Encoder.Encode(messages, EncodeOptions.Thinking));
    }

    [Fact]
    public void ToolLoopKeepsReasoningAndOpensThinkingAfterResults()
    {
        Message[] messages =
        [
            Message.User("q"),
            Message.Assistant(null, "r1", [new ToolCall("f", "{}"), new ToolCall("g", "{\"s\": \"v\\n\", \"n\": [1.0]}")]),
            Message.ToolResult("x"),
            Message.ToolResult(null),
            Message.Assistant("done", "r2"),
        ];
        var expected = $"{Bos}<｜User｜>q<｜Assistant｜><think>r1</think>\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n\n</｜DSML｜invoke>\n"
            + "<｜DSML｜invoke name=\"g\">\n<｜DSML｜parameter name=\"s\" string=\"true\">v\n</｜DSML｜parameter>\n<｜DSML｜parameter name=\"n\" string=\"false\">[1.0]</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
            + $"</｜DSML｜function_calls>{Eos}\n\n<function_results>\n<result>x</result>\n<result>None</result>\n</function_results>\n\n<think>r2</think>done{Eos}";
        Assert.Equal(expected, DeepSeekV32Encoder.Encode(messages, EncodeOptions.Thinking));
    }

    [Fact]
    public void MissingResultsLeaveTheBlockOpen() =>
        Assert.EndsWith(
            "\n\n<function_results>\n<result>1</result>",
            DeepSeekV32Encoder.Encode([Message.User("q"), Message.Assistant(null, null, [new ToolCall("f", "{}"), new ToolCall("f", "{}")]), Message.ToolResult("1")], EncodeOptions.Chat));

    [Fact]
    public void FalsyResponseFormatIsNotRendered()
    {
        var empty = JsonDocument.Parse("{}").RootElement;
        Assert.Equal($"{Bos}S", DeepSeekV32Encoder.Encode([Message.System("S", responseFormat: empty)], EncodeOptions.Chat));
        var zero = JsonDocument.Parse("0.0").RootElement;
        Assert.Equal($"{Bos}S", DeepSeekV32Encoder.Encode([Message.System("S", responseFormat: zero)], EncodeOptions.Chat));
    }

    [Fact]
    public void DeveloperContentFollowsToolsAndResponseFormat()
    {
        var format = JsonDocument.Parse("{\"type\": \"json_object\"}").RootElement;
        var prompt = DeepSeekV32Encoder.Encode([Message.Developer("hi", responseFormat: format)], EncodeOptions.Chat);
        Assert.Equal(
            $"{Bos}<｜User｜>\n\n## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n{{\"type\": \"json_object\"}}\n\n# The user's message is: hi<｜Assistant｜></think>",
            prompt);
    }

    [Theory]
    [MemberData(nameof(RejectedConversations))]
    public void RejectsWhatTheReferenceRejects(Message[] messages, bool thinking, string messageStart)
    {
        var options = thinking ? EncodeOptions.Thinking : EncodeOptions.Chat;
        Assert.StartsWith(messageStart, Assert.Throws<ChatEncodingException>(() => DeepSeekV32Encoder.Encode(messages, options)).Message);
    }

    public static TheoryData<Message[], bool, string> RejectedConversations() => new()
    {
        { [Message.ToolResult("x")], false, "messages[0]: a tool result must follow an assistant message" },
        { [Message.User("q"), Message.ToolResult("x")], false, "messages[1]: a tool result must follow an assistant message" },
        { [Message.User("q"), Message.Assistant("a"), Message.ToolResult("x")], false, "messages[2]: tool result #1 but messages[1] made 0" },
        { [Message.User("q"), Message.Assistant(null, null, [new ToolCall("f", "[1]")])], false, "messages[1]: tool call `f`: arguments must be a JSON object" },
        { [Message.User("q"), Message.Assistant(null, null, [new ToolCall("f", "{bad")])], false, "messages[1]: tool call `f`: arguments are not valid JSON" },
        { [Message.Developer("")], false, "messages[0]: a developer message needs non-empty content" },
        { [Message.User("q"), Message.Assistant("a", "")], true, "messages[1]: in thinking mode an assistant message after the last user message needs reasoning or tool calls" },
        { [Message.Developer("d"), Message.User("q")], true, "messages[0]: a developer message before the last user message" },
    };

    [Fact]
    public void ContextMessagesAreNamedAsContext()
    {
        var options = EncodeOptions.Chat with { Context = [Message.User("q"), Message.Assistant("a")] };
        var error = Assert.Throws<ChatEncodingException>(() => DeepSeekV32Encoder.Encode([Message.ToolResult("x")], options));
        Assert.StartsWith("messages[0]: tool result #1 but context[1] made 0", error.Message);
    }

    [Fact]
    public void DropThinkingOffAllowsAnEarlierDeveloper()
    {
        var options = EncodeOptions.Thinking with { DropThinking = false };
        Assert.Equal(
            $"{Bos}<｜User｜>\n\n# The user's message is: d<｜Assistant｜></think><｜User｜>q<｜Assistant｜><think>",
            DeepSeekV32Encoder.Encode([Message.Developer("d"), Message.User("q")], options));
    }
}
