using System.Text.Json;
using Microsoft.Extensions.AI;
using SeekSharp.IO.Chat;

namespace SeekSharp.Agents.Chat;

/// <summary>
/// Decides thinking vs chat mode for one request. In order: <c>ChatOptions.AdditionalProperties["thinking"]</c>
/// (true/false, "enabled"/"disabled", "thinking"/"chat", or DeepSeek's <c>{"type": "enabled"}</c>), then
/// <c>ChatOptions.Reasoning.Effort</c> (<see cref="ReasoningEffort.None"/> = chat, any other effort = thinking; V3.2 has
/// no effort levels), then the client's default.
/// </summary>
public static class ThinkingSelection
{
    public const string ThinkingProperty = "thinking";

    public static ThinkingMode Resolve(ChatOptions? options, ThinkingMode fallback)
    {
        if (options?.AdditionalProperties?.TryGetValue(ThinkingProperty, out var value) == true && value is not null)
            return Parse(value) ?? throw new ArgumentException(
                $"ChatOptions.AdditionalProperties[\"{ThinkingProperty}\"] = {value}: expected true/false, \"enabled\"/\"disabled\" or {{\"type\": \"enabled\"}}");
        if (options?.Reasoning?.Effort is { } effort) return effort == ReasoningEffort.None ? ThinkingMode.Chat : ThinkingMode.Thinking;
        return fallback;
    }

    /// <summary>True when reasoning may be reported to the caller (ReasoningOptions.Output None hides it).</summary>
    public static bool ReportsReasoning(ChatOptions? options) => options?.Reasoning?.Output != ReasoningOutput.None;

    private static ThinkingMode? Parse(object value) => value switch
    {
        bool on => on ? ThinkingMode.Thinking : ThinkingMode.Chat,
        string text => ParseWord(text),
        JsonElement { ValueKind: JsonValueKind.True } => ThinkingMode.Thinking,
        JsonElement { ValueKind: JsonValueKind.False } => ThinkingMode.Chat,
        JsonElement { ValueKind: JsonValueKind.String } text => ParseWord(text.GetString()),
        JsonElement { ValueKind: JsonValueKind.Object } obj when obj.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            => ParseWord(type.GetString()),
        _ => null,
    };

    private static ThinkingMode? ParseWord(string? word) => word?.ToLowerInvariant() switch
    {
        "enabled" or "thinking" or "true" or "on" => ThinkingMode.Thinking,
        "disabled" or "chat" or "false" or "off" => ThinkingMode.Chat,
        _ => null,
    };
}
