using System.Text.Json;
using SeekSharp.Engine;

namespace SeekSharp.Server.Responses;

/// <summary>A token with its log-probability, as reported back; null for a prompt's first token (nothing predicts it).</summary>
public sealed record TokenLogprobEntry(int TokenId, TokenLogprob? Logprob);

/// <summary>Writes logprobs in the two OpenAI shapes: chat (<c>content: [{token, logprob, bytes, top_logprobs}]</c>) and legacy completions.</summary>
public static class LogprobJson
{
    /// <summary>Chat: <c>"logprobs": {"content": [...], "refusal": null}</c>.</summary>
    public static void WriteChat(Utf8JsonWriter writer, IReadOnlyList<TokenLogprobEntry>? entries, TokenStrings strings)
    {
        if (entries is null)
        {
            writer.WriteNull("logprobs");
            return;
        }
        writer.WriteStartObject("logprobs");
        writer.WriteStartArray("content");
        foreach (var entry in entries)
        {
            writer.WriteStartObject();
            WriteTokenFields(writer, entry.TokenId, entry.Logprob?.Logprob ?? float.NegativeInfinity, strings);
            writer.WriteStartArray("top_logprobs");
            foreach (var top in entry.Logprob?.Top ?? [])
            {
                writer.WriteStartObject();
                WriteTokenFields(writer, top.TokenId, top.Logprob, strings);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNull("refusal");
        writer.WriteEndObject();
    }

    /// <summary>Completions: <c>"logprobs": {"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}</c>.</summary>
    public static void WriteCompletion(Utf8JsonWriter writer, IReadOnlyList<TokenLogprobEntry>? entries, TokenStrings strings, int textOffset)
    {
        if (entries is null)
        {
            writer.WriteNull("logprobs");
            return;
        }
        writer.WriteStartObject("logprobs");
        writer.WriteStartArray("tokens");
        foreach (var entry in entries) writer.WriteStringValue(strings.Text(entry.TokenId));
        writer.WriteEndArray();
        writer.WriteStartArray("token_logprobs");
        foreach (var entry in entries)
        {
            if (entry.Logprob is { } lp) WriteLogprobValue(writer, lp.Logprob);
            else writer.WriteNullValue();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("top_logprobs");
        foreach (var entry in entries)
        {
            if (entry.Logprob is null)
            {
                writer.WriteNullValue();
                continue;
            }
            writer.WriteStartObject();
            foreach (var top in entry.Logprob.Top)
            {
                writer.WritePropertyName(strings.Text(top.TokenId));
                WriteLogprobValue(writer, top.Logprob);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("text_offset");
        var offset = textOffset;
        foreach (var entry in entries)
        {
            writer.WriteNumberValue(offset);
            offset += strings.Text(entry.TokenId).Length;
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// vLLM's <c>"prompt_logprobs": [null, {"ID": {"logprob", "decoded_token"}}, ...]</c>: per prompt token its own id
    /// and its alternatives (no <c>rank</c>: the engine reports the top list, not the token's rank).
    /// </summary>
    public static void WritePromptLogprobs(Utf8JsonWriter writer, IReadOnlyList<TokenLogprobEntry> entries, TokenStrings strings)
    {
        writer.WriteStartArray("prompt_logprobs");
        foreach (var entry in entries)
        {
            if (entry.Logprob is not { } lp)
            {
                writer.WriteNullValue();
                continue;
            }
            writer.WriteStartObject();
            WriteIdEntry(writer, entry.TokenId, lp.Logprob, strings);
            foreach (var top in lp.Top)
                if (top.TokenId != entry.TokenId) WriteIdEntry(writer, top.TokenId, top.Logprob, strings);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteIdEntry(Utf8JsonWriter writer, int tokenId, float logprob, TokenStrings strings)
    {
        writer.WriteStartObject(tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        writer.WritePropertyName("logprob");
        WriteLogprobValue(writer, logprob);
        writer.WriteString("decoded_token", strings.Text(tokenId));
        writer.WriteEndObject();
    }

    private static void WriteTokenFields(Utf8JsonWriter writer, int tokenId, float logprob, TokenStrings strings)
    {
        writer.WriteString("token", strings.Text(tokenId));
        writer.WritePropertyName("logprob");
        WriteLogprobValue(writer, logprob);
        writer.WriteStartArray("bytes");
        foreach (var b in strings.Bytes(tokenId)) writer.WriteNumberValue(b);
        writer.WriteEndArray();
    }

    // JSON has no -Infinity: a token of probability 0 gets OpenAI's floor, -9999
    private static void WriteLogprobValue(Utf8JsonWriter writer, float logprob) =>
        writer.WriteNumberValue(float.IsFinite(logprob) ? logprob : -9999f);
}
