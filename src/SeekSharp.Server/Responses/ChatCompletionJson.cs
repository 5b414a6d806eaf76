using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;

namespace SeekSharp.Server.Responses;

/// <summary>The whole reply of a non-streaming chat completion.</summary>
public sealed record ChatCompletionResult(
    string Id,
    long Created,
    string Model,
    string Content,
    string? Reasoning,
    IReadOnlyList<ToolCall> ToolCalls,
    string FinishReason,
    IReadOnlyList<TokenLogprobEntry>? Logprobs,
    Usage Usage);

/// <summary>Writes <c>chat.completion</c> objects.</summary>
public static class ChatCompletionJson
{
    public static byte[] Write(ChatCompletionResult result, TokenStrings strings) => Wire.JsonText.Write(writer =>
    {
        ResponseHeader.Write(writer, result.Id, "chat.completion", result.Created, result.Model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        // OpenAI sends null content next to tool calls when the model said nothing else
        if (result.Content.Length == 0 && result.ToolCalls.Count > 0) writer.WriteNull("content");
        else writer.WriteString("content", result.Content);
        if (result.Reasoning is not null)
        {
            writer.WriteString("reasoning_content", result.Reasoning);
            writer.WriteString("reasoning", result.Reasoning);
        }
        if (result.ToolCalls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in result.ToolCalls) OpenAiWireMapping.WriteToolCall(writer, call);
            writer.WriteEndArray();
        }
        writer.WriteNull("refusal");
        writer.WriteEndObject();
        LogprobJson.WriteChat(writer, result.Logprobs, strings);
        writer.WriteString("finish_reason", result.FinishReason);
        writer.WriteEndObject();
        writer.WriteEndArray();
        result.Usage.Write(writer, chat: true);
        writer.WriteEndObject();
    });
}
