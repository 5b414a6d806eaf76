using System.Text.Json;

namespace SeekSharp.Server.Responses;

/// <summary>Token counts of one response, written in OpenAI's usage shape.</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens, int CachedTokens, int ReasoningTokens)
{
    public void Write(Utf8JsonWriter writer, bool chat)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", PromptTokens);
        writer.WriteNumber("completion_tokens", CompletionTokens);
        writer.WriteNumber("total_tokens", PromptTokens + CompletionTokens);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", CachedTokens);
        writer.WriteEndObject();
        if (chat)
        {
            writer.WriteStartObject("completion_tokens_details");
            writer.WriteNumber("reasoning_tokens", ReasoningTokens);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}
