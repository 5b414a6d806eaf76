using System.Text;
using System.Text.Json;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Tokenization;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Processing;

/// <summary>
/// tool_choice required/named as forced reply text. The reply's tool-call part starts right after the prompt in chat
/// mode and right after the model's own <c>&lt;/think&gt;</c> in thinking mode (the model reasons first), so the engine
/// appends these tokens there (<see cref="ForcedContinuation"/>) and the model writes the rest of the call.
/// </summary>
public static class ForcedToolCall
{
    /// <summary>
    /// The forced text: required → the block's opening; named → the opening through <c>invoke name="NAME"</c>, plus
    /// the parameter tag's start when the schema requires a parameter; a named function without parameters has one
    /// valid call, so the whole call and EOS are forced. "" for auto/none.
    /// </summary>
    public static string Text(ToolChoice choice, IReadOnlyList<ToolDefinition> tools)
    {
        switch (choice.Kind)
        {
            case ToolChoiceKind.Required:
                return DsmlTokens.ToolCallsStart + ">\n";
            case ToolChoiceKind.Function:
                var tool = tools.FirstOrDefault(t => t.Name == choice.FunctionName);
                if (tool is not null && !HasParameters(tool))
                {
                    var whole = new StringBuilder();
                    DsmlToolCallRenderer.RenderBlock(whole, [new ToolCall(choice.FunctionName!, "{}")]);
                    return whole.Append(DsmlTokens.Eos).ToString();
                }
                var opening = DsmlTokens.ToolCallsStart + ">\n" + DsmlTokens.InvokeOpen + $" name=\"{choice.FunctionName}\">\n";
                return tool is not null && RequiresParameter(tool) ? opening + DsmlTokens.ParameterOpen + " name=\"" : opening;
            default:
                return "";
        }
    }

    /// <summary>The engine's forced continuation for the request, or null when nothing is forced.</summary>
    public static ForcedContinuation? Continuation(string text, ThinkingMode mode, DeepSeekTokenizer tokenizer)
    {
        if (text.Length == 0) return null;
        int? after = null;
        if (mode == ThinkingMode.Thinking)
            after = tokenizer.TokenToId(DsmlTokens.ThinkEnd)
                ?? throw ApiException.BadRequest("tool_choice", $"tool_choice: the tokenizer has no {DsmlTokens.ThinkEnd} token to force a call after the reasoning");
        return new ForcedContinuation(after, tokenizer.Encode(text));
    }

    private static JsonElement? Properties(ToolDefinition tool) =>
        tool.Function.ValueKind == JsonValueKind.Object
        && tool.Function.TryGetProperty("parameters", out var schema) && schema.ValueKind == JsonValueKind.Object
        && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? properties
            : null;

    private static bool HasParameters(ToolDefinition tool) => Properties(tool) is { } p && p.EnumerateObject().Any();

    private static bool RequiresParameter(ToolDefinition tool) =>
        tool.Function.TryGetProperty("parameters", out var schema) && schema.ValueKind == JsonValueKind.Object
        && schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array && required.GetArrayLength() > 0;
}
