using System.Text.Json;
using SeekSharp.IO.Chat;

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
        writer.WriteStartObject();
        writer.WriteString("id", result.Id);
        writer.WriteString("object", "chat.completion");
        writer.WriteNumber("created", result.Created);
        writer.WriteString("model", result.Model);
        writer.WriteNull("system_fingerprint");
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
            foreach (var call in result.ToolCalls) WriteToolCall(writer, call, index: null);
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

    /// <summary><c>{"index"?, "id", "type": "function", "function": {"name", "arguments"}}</c>; streaming deltas carry the index.</summary>
    public static void WriteToolCall(Utf8JsonWriter writer, ToolCall call, int? index)
    {
        writer.WriteStartObject();
        if (index is { } i) writer.WriteNumber("index", i);
        writer.WriteString("id", call.Id);
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", call.Name);
        writer.WriteString("arguments", call.ArgumentsJson);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
