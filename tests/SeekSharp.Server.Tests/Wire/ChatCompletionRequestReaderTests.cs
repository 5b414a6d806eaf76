using System.Net;
using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Processing;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Tests.Wire;

public sealed class ChatCompletionRequestReaderTests
{
    private static ChatCompletionRequest Read(string json, ThinkingMode defaultThinking = ThinkingMode.Chat)
    {
        using var document = RequestBody.ParseJson(json);
        return ChatCompletionRequestReader.Read(document.RootElement, defaultThinking);
    }

    private static ApiException Rejects(string json)
    {
        var error = Assert.Throws<ApiException>(() =>
        {
            var request = Read(json);
            ChatPrompt.Build(request, TestTokenizer.Instance);
        });
        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        return error;
    }

    [Fact]
    public void Reads_every_supported_field()
    {
        var request = Read("""
            {"model": "m", "stream": true, "stream_options": {"include_usage": true},
             "messages": [{"role": "developer", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                          {"role": "user", "content": "hi"},
                          {"role": "assistant", "reasoning": "think", "content": null,
                           "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
                          {"role": "tool", "tool_call_id": "c1", "content": "done"}],
             "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
             "tool_choice": "auto", "max_completion_tokens": 7, "max_tokens": 99, "temperature": 0.5, "top_p": 0.9,
             "seed": 12345678901, "stop": ["x", "y"], "logprobs": true, "top_logprobs": 3,
             "thinking": {"type": "enabled"}, "chat_template_kwargs": {"thinking": false}}
            """);

        Assert.Equal("m", request.Model);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
        Assert.Equal("ab", request.Messages[0].Content);
        Assert.Equal("think", request.Messages[2].Reasoning);
        Assert.Equal(new ToolCall("f", "{\"x\": 1}", "c1"), Assert.Single(request.Messages[2].ToolCalls));
        Assert.Equal("f", Assert.Single(request.Tools).Name);
        Assert.Equal(ThinkingMode.Thinking, request.Thinking);   // `thinking` wins over chat_template_kwargs
        Assert.Equal(7, request.Generation.MaxTokens);            // max_completion_tokens wins over max_tokens
        Assert.Equal(0.5f, request.Generation.Temperature);
        Assert.Equal(0.9f, request.Generation.TopP);
        Assert.NotNull(request.Generation.Seed);
        Assert.Equal(["x", "y"], request.Generation.Stop);
        Assert.True(request.Generation.Logprobs);
        Assert.Equal(3, request.Generation.TopLogprobs);
    }

    [Theory]
    [InlineData("""{"chat_template_kwargs": {"thinking": true}}""", ThinkingMode.Chat, ThinkingMode.Thinking)]
    [InlineData("""{"chat_template_kwargs": {"enable_thinking": true}}""", ThinkingMode.Chat, ThinkingMode.Thinking)]
    [InlineData("""{"thinking": {"type": "disabled"}}""", ThinkingMode.Thinking, ThinkingMode.Chat)]
    [InlineData("""{}""", ThinkingMode.Thinking, ThinkingMode.Thinking)]
    [InlineData("""{}""", ThinkingMode.Chat, ThinkingMode.Chat)]
    public void Thinking_switches(string extra, ThinkingMode serverDefault, ThinkingMode expected)
    {
        var body = JsonDocument.Parse(extra).RootElement.EnumerateObject()
            .Aggregate("""{"model": "m", "messages": [{"role": "user", "content": "hi"}]""", (s, p) => s + $", \"{p.Name}\": {p.Value.GetRawText()}") + "}";
        Assert.Equal(expected, Read(body, serverDefault).Thinking);
    }

    [Theory]
    [InlineData("""{"model": "m", "messages": [{"role": "wizard", "content": "x"}]}""", "messages[0].role")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": 3}]}""", "messages[0].content")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}]}""", "messages[1]")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model": "m", "messages": []}""", "messages")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}]}""", "model")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 9}""", "temperature")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}""", "max_tokens")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": "yes"}}""", "stream_options.include_usage")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "top_logprobs": 2}""", "top_logprobs")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": ["a", 1]}""", "stop[1]")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 3}""", "n")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {}}]}""", "tools[0].function.name")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}""", "tool_choice.function.name")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"}""", "tool_choice")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "thinking": {"type": "on"}}""", "thinking.type")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]}""", "messages")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "\ud800"}]}""", "messages[0].content")]
    public void Rejections_name_the_field(string json, string param)
    {
        Assert.Equal(param, Rejects(json).Param);
    }

    [Fact]
    public void Broken_json_is_a_400_without_a_param()
    {
        var error = Assert.Throws<ApiException>(() => Read("""{"model": "m", "messages": [}"""));
        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Null(error.Param);
        Assert.Equal("invalid_json", error.Code);
    }

    [Fact]
    public void Every_generated_malformed_request_is_rejected_with_a_400()
    {
        var cases = MalformedRequests.Chat("m").ToList();
        Assert.True(cases.Count >= 100, $"only {cases.Count} cases");
        foreach (var c in cases)
        {
            var error = Record.Exception(() =>
            {
                using var document = RequestBody.ParseJson(c.Body);
                ChatPrompt.Build(ChatCompletionRequestReader.Read(document.RootElement, ThinkingMode.Chat), TestTokenizer.Instance);
            });
            var api = Assert.IsType<ApiException>(error, exactMatch: true);
            Assert.True(api.Status == HttpStatusCode.BadRequest, $"{c.Name}: {api.Status} {api.Message}");
        }
    }
}
