using System.Text.Json;

namespace SeekSharp.Server.Responses;

/// <summary>One choice of a text completion.</summary>
/// <param name="TextOffset">Where the first logprobs entry's token starts in the choice's text (0 when the prompt's tokens lead).</param>
/// <param name="PromptLogprobs">vLLM's prompt_logprobs list (written only when not null).</param>
public sealed record CompletionChoice(int Index, string Text, string? FinishReason, IReadOnlyList<TokenLogprobEntry>? Logprobs, int TextOffset,
    IReadOnlyList<TokenLogprobEntry>? PromptLogprobs = null);

/// <summary>Writes <c>text_completion</c> objects (whole responses and stream chunks).</summary>
public sealed class CompletionJson(string id, long created, string model, TokenStrings strings)
{
    public byte[] Response(IReadOnlyList<CompletionChoice> choices, Usage usage) => Wire.JsonText.Write(w =>
    {
        WriteHeader(w);
        w.WriteStartArray("choices");
        foreach (var choice in choices) WriteChoice(w, choice);
        w.WriteEndArray();
        usage.Write(w, chat: false);
        w.WriteEndObject();
    });

    public byte[] Chunk(CompletionChoice choice, bool includeUsage) => Wire.JsonText.Write(w =>
    {
        WriteHeader(w);
        w.WriteStartArray("choices");
        WriteChoice(w, choice);
        w.WriteEndArray();
        if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
    });

    public byte[] UsageChunk(Usage usage) => Wire.JsonText.Write(w =>
    {
        WriteHeader(w);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        usage.Write(w, chat: false);
        w.WriteEndObject();
    });

    private void WriteChoice(Utf8JsonWriter w, CompletionChoice choice)
    {
        w.WriteStartObject();
        w.WriteNumber("index", choice.Index);
        w.WriteString("text", choice.Text);
        LogprobJson.WriteCompletion(w, choice.Logprobs, strings, choice.TextOffset);
        if (choice.PromptLogprobs is not null) LogprobJson.WritePromptLogprobs(w, choice.PromptLogprobs, strings);
        w.WriteString("finish_reason", choice.FinishReason);
        w.WriteEndObject();
    }

    private void WriteHeader(Utf8JsonWriter w) => ResponseHeader.Write(w, id, "text_completion", created, model);
}
