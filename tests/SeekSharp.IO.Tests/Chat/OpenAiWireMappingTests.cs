using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;

namespace SeekSharp.IO.Tests.Chat;

public class OpenAiWireMappingTests
{
    [Fact]
    public void ReadsTheOpenAiShape()
    {
        var messages = OpenAiWireMapping.ReadMessages("""
            [{"role": "system", "content": "S", "tools": [{"type": "function", "function": {"name": "f", "parameters": {"b": 1, "a": 2}}}], "response_format": {"type": "json_object"}},
             {"role": "user", "content": "hi", "name": "ignored"},
             {"role": "assistant", "content": null, "reasoning": "think", "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
             {"role": "tool", "tool_call_id": "call_9", "content": "42"}]
            """);
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool], messages.Select(m => m.Role));
        Assert.Equal("{\"name\": \"f\", \"parameters\": {\"b\": 1, \"a\": 2}}", PythonJson.Format(Assert.Single(messages[0].Tools).Function));
        Assert.Equal("f", messages[0].Tools[0].Name);
        Assert.Equal("{\"type\": \"json_object\"}", PythonJson.Format(messages[0].ResponseFormat!.Value));
        Assert.Equal("think", messages[2].Reasoning);
        Assert.Null(messages[2].Content);
        Assert.Equal(new ToolCall("f", "{\"x\": 1}", "call_9"), Assert.Single(messages[2].ToolCalls));
        Assert.Equal(("42", "call_9"), (messages[3].Content, messages[3].ToolCallId));
    }

    [Fact]
    public void ReasoningContentWinsAndTheAliasCanBeTurnedOff()
    {
        const string json = """[{"role": "assistant", "content": "a", "reasoning_content": "rc", "reasoning": "r"}, {"role": "assistant", "content": "b", "reasoning": "r"}]""";
        var lenient = OpenAiWireMapping.ReadMessages(json);
        Assert.Equal(["rc", "r"], lenient.Select(m => m.Reasoning));
        using var document = JsonDocument.Parse(json);
        var strict = OpenAiWireMapping.ReadMessages(document.RootElement, WireReadOptions.Reference);
        Assert.Equal(["rc", null], strict.Select(m => m.Reasoning));
    }

    [Fact]
    public void WritesBothReasoningKeysToolCallsAndIds()
    {
        var json = OpenAiWireMapping.WriteMessages(
        [
            Message.Assistant("Sure", "thought", [new ToolCall("f", "{\"a\": 1}", "call_1")]),
            Message.ToolResult("ok", "call_1"),
        ]);
        Assert.Equal(
            "[{\"role\":\"assistant\",\"content\":\"Sure\",\"reasoning_content\":\"thought\",\"reasoning\":\"thought\","
            + "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": 1}\"}}]},"
            + "{\"role\":\"tool\",\"content\":\"ok\",\"tool_call_id\":\"call_1\"}]",
            json);
    }

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ValidEncodeNames), MemberType = typeof(GoldenEncodingCases))]
    public void GoldenConversationsRoundTripThroughTheWire(string name)
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines[name]);
        var back = OpenAiWireMapping.ReadMessages(OpenAiWireMapping.WriteMessages(request.Messages));
        Assert.Equal(request.Messages, back);
    }

    [Theory]
    [InlineData("""[{"role": "critic", "content": "x"}]""", "messages[0].role: unknown role `critic`")]
    [InlineData("""[{"content": "x"}]""", "messages[0].role is missing")]
    [InlineData("""[{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "text", "text": "x"}]}]""", "messages[1].content must be a string or null, got an array")]
    [InlineData("""[{"role": "user", "content": 5}]""", "messages[0].content must be a string or null, got a number")]
    [InlineData("""[{"role": "assistant", "reasoning_content": 1}]""", "messages[0].reasoning_content must be a string or null")]
    [InlineData("""[{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}]""", "messages[0].tool_calls[0].function.arguments must be a string or null, got an object")]
    [InlineData("""[{"role": "assistant", "tool_calls": [{"function": {"arguments": "{}"}}]}]""", "messages[0].tool_calls[0].function.name is missing")]
    [InlineData("""[{"role": "assistant", "tool_calls": {}}]""", "messages[0].tool_calls must be an array")]
    [InlineData("""[{"role": "system", "tools": [{"type": "function"}]}]""", "messages[0].tools[0].function is missing")]
    [InlineData("""[3]""", "messages[0] must be an object, got a number")]
    [InlineData("""{"role": "user"}""", "messages must be an array")]
    public void RejectsMalformedMessagesNamingIndexAndField(string json, string messageStart)
    {
        var error = Assert.Throws<ChatEncodingException>(() => OpenAiWireMapping.ReadMessages(json));
        Assert.StartsWith(messageStart, error.Message);
    }

    [Theory]
    [InlineData("""{"messages": [], "options": {"thinking_mode": "auto"}}""", "Invalid thinking_mode `auto`")]
    [InlineData("""{"messages": [], "options": {}}""", "options.thinking_mode is missing")]
    [InlineData("""{"messages": []}""", "options must be an object")]
    [InlineData("""{"options": {"thinking_mode": "chat"}}""", "input.messages is missing")]
    [InlineData("""{"messages": [], "options": {"thinking_mode": "chat", "drop_thinking": "yes"}}""", "options.drop_thinking must be a boolean")]
    [InlineData("""{"messages": [], "options": {"thinking_mode": "chat", "context": [{"role": "x"}]}}""", "options.context[0].role: unknown role")]
    [InlineData("""[1]""", "input must be a JSON object")]
    [InlineData("""{"messages": """, "input: invalid JSON")]
    public void EncodeRequestProblemsAreReported(string json, string messageStart) =>
        Assert.StartsWith(messageStart, Assert.Throws<ChatEncodingException>(() => PromptCaseJson.ReadEncodeRequest(json)).Message);

    [Fact]
    public void OptionsMeanWhatThePythonKeywordsMean()
    {
        var options = PromptCaseJson.ReadEncodeOptions(JsonDocument.Parse("""{"thinking_mode": "thinking", "add_default_bos_token": null}""").RootElement);
        Assert.Equal(ThinkingMode.Thinking, options.ThinkingMode);
        Assert.True(options.DropThinking);
        Assert.False(options.AddDefaultBosToken);
        Assert.Empty(options.Context);
    }
}
