using System.Text.Json;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.Server.Processing;

namespace SeekSharp.Server.Responses;

/// <summary>
/// Writes <c>chat.completion.chunk</c> objects: the first carries the role, then reasoning (under both
/// <c>reasoning_content</c> and <c>reasoning</c>), content and whole tool calls as deltas, the last the finish reason;
/// with include_usage every chunk has <c>"usage": null</c> and a final chunk has no choices and the usage.
/// </summary>
public sealed class ChatChunkJson(string id, long created, string model, bool includeUsage, TokenStrings strings)
{
    public byte[] Role() => Chunk(w =>
    {
        w.WriteString("role", "assistant");
        w.WriteString("content", "");
    }, null, null);

    public byte[] Delta(ChatDelta delta, IReadOnlyList<TokenLogprobEntry>? logprobs) => Chunk(w =>
    {
        switch (delta)
        {
            case ReasoningChunk r:
                w.WriteString("reasoning_content", r.Text);
                w.WriteString("reasoning", r.Text);
                break;
            case ContentChunk c:
                w.WriteString("content", c.Text);
                break;
            case ToolCallChunk t:
                w.WriteStartArray("tool_calls");
                OpenAiWireMapping.WriteToolCall(w, t.Call, t.Index);
                w.WriteEndArray();
                break;
        }
    }, logprobs, null);

    /// <summary>An empty delta that only carries logprobs (tokens whose text is still held back).</summary>
    public byte[] LogprobsOnly(IReadOnlyList<TokenLogprobEntry> logprobs) => Chunk(_ => { }, logprobs, null);

    public byte[] Finish(string finishReason, IReadOnlyList<TokenLogprobEntry>? logprobs) => Chunk(_ => { }, logprobs, finishReason);

    public byte[] UsageChunk(Usage usage) => Wire.JsonText.Write(w =>
    {
        WriteHeader(w);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        usage.Write(w, chat: true);
        w.WriteEndObject();
    });

    private byte[] Chunk(Action<Utf8JsonWriter> writeDelta, IReadOnlyList<TokenLogprobEntry>? logprobs, string? finishReason) =>
        Wire.JsonText.Write(w =>
        {
            WriteHeader(w);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            writeDelta(w);
            w.WriteEndObject();
            LogprobJson.WriteChat(w, logprobs, strings);
            w.WriteString("finish_reason", finishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            if (includeUsage) w.WriteNull("usage");
            w.WriteEndObject();
        });

    private void WriteHeader(Utf8JsonWriter w) => ResponseHeader.Write(w, id, "chat.completion.chunk", created, model);
}
