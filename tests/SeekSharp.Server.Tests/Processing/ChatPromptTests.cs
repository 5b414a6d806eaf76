using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.Server.Processing;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Tests.Processing;

public sealed class ChatPromptTests
{
    private const string Tool = """{"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}""";

    private static ChatCompletionRequest Request(string json)
    {
        using var document = RequestBody.ParseJson(json);
        return ChatCompletionRequestReader.Read(document.RootElement, ThinkingMode.Chat);
    }

    [Fact]
    public void Request_tools_go_into_a_new_first_system_message_and_render_like_the_encoder()
    {
        var request = Request($$"""
            {"model": "m", "messages": [{"role": "user", "content": "Weather in Paris?"}],
             "tools": [{"type": "function", "function": {{Tool}}}]}
            """);

        var prompt = ChatPrompt.Build(request, TestTokenizer.Instance);

        var expected = DeepSeekV32Encoder.Encode(
            [Message.System("", [ToolDefinition.FromJson(Tool)]), Message.User("Weather in Paris?")], EncodeOptions.Chat);
        Assert.Equal(expected, prompt.Text);
        Assert.Equal(TestTokenizer.Instance.Encode(expected), prompt.Tokens);
        Assert.Equal("", prompt.ForcedToolCall);
    }

    [Fact]
    public void Tool_choice_none_leaves_the_tools_out_of_the_prompt()
    {
        var request = Request($$"""
            {"model": "m", "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}],
             "tools": [{"type": "function", "function": {{Tool}}}], "tool_choice": "none"}
            """);

        Assert.Equal(DeepSeekV32Encoder.Encode([Message.System("S"), Message.User("Hi")], EncodeOptions.Chat),
            ChatPrompt.Build(request, TestTokenizer.Instance).Text);
    }

    [Fact]
    public void Named_tool_choice_forces_the_call_opening_and_leaves_the_prompt_as_the_conversation()
    {
        var request = Request("""{"model": "m", "messages": [{"role": "user", "content": "Hi"}], "tools": [{"type": "function", "function": """ + Tool +
            """}], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}""");

        var prompt = ChatPrompt.Build(request, TestTokenizer.Instance);

        Assert.StartsWith("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n", prompt.ForcedToolCall, StringComparison.Ordinal);
        Assert.EndsWith("<｜Assistant｜></think>", prompt.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Reasoning_of_the_current_tool_loop_is_rendered_in_thinking_mode()
    {
        var request = Request("""
            {"model": "m", "thinking": {"type": "enabled"}, "messages": [
              {"role": "user", "content": "Weather?"},
              {"role": "assistant", "content": "", "reasoning_content": "I should call the tool.",
               "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
              {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]}
            """);

        var prompt = ChatPrompt.Build(request, TestTokenizer.Instance);

        Assert.Contains("<think>I should call the tool.</think>", prompt.Text, StringComparison.Ordinal);
        Assert.EndsWith("</function_results>\n\n<think>", prompt.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_response_format_is_rendered_on_the_system_message()
    {
        var request = Request("""
            {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}}
            """);
        using var format = JsonDocument.Parse("""{"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}""");

        var expected = DeepSeekV32Encoder.Encode([Message.System("", responseFormat: format.RootElement), Message.User("Hi")], EncodeOptions.Chat);
        Assert.Equal(expected, ChatPrompt.Build(request, TestTokenizer.Instance).Text);
    }

    [Fact]
    public void Errors_name_the_clients_message_index_even_after_a_system_message_was_inserted()
    {
        var request = Request("""{"model": "m", "messages": [{"role": "user", "content": "Hi"}, {"role": "tool", "content": "x"}], "tools": [{"type": "function", "function": """ + Tool + "}]}");

        var error = Assert.Throws<SeekSharp.Server.Errors.ApiException>(() => ChatPrompt.Build(request, TestTokenizer.Instance));

        Assert.Equal("messages[1]", error.Param);
        Assert.StartsWith("messages[1]:", error.Message, StringComparison.Ordinal);
    }
}
