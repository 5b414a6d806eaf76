using System.Text;
using System.Text.Json;

namespace SeekSharp.IO.Chat;

/// <summary>Writes an assistant's tool calls as the DSML block the model itself produces.</summary>
public static class DsmlToolCallRenderer
{
    /// <summary>
    /// <c>\n\n&lt;｜DSML｜function_calls&gt;\n</c> + invokes joined by "\n" + <c>\n&lt;/｜DSML｜function_calls&gt;</c>.
    /// </summary>
    public static void RenderBlock(StringBuilder builder, IReadOnlyList<ToolCall> calls)
    {
        builder.Append("\n\n").Append(DsmlTokens.FunctionCallsOpen).Append('\n');
        for (var i = 0; i < calls.Count; i++)
        {
            if (i > 0) builder.Append('\n');
            RenderInvoke(builder, calls[i]);
        }
        builder.Append('\n').Append(DsmlTokens.FunctionCallsClose);
    }

    /// <summary>
    /// One invoke; its arguments are parsed and each top-level key becomes a parameter: strings raw with
    /// string="true", anything else as Python-style JSON with string="false". Zero parameters leave an empty line.
    /// </summary>
    public static void RenderInvoke(StringBuilder builder, ToolCall call)
    {
        builder.Append('<').Append(DsmlTokens.Dsml).Append("invoke name=\"").Append(call.Name).Append("\">\n");
        var first = true;
        foreach (var (key, value) in ParseArguments(call))
        {
            if (!first) builder.Append('\n');
            first = false;
            var isString = value.ValueKind == JsonValueKind.String;
            builder.Append('<').Append(DsmlTokens.Dsml).Append("parameter name=\"").Append(key)
                .Append("\" string=\"").Append(isString ? "true" : "false").Append("\">");
            if (isString) builder.Append(value.GetString());
            else PythonJson.Write(builder, value);
            builder.Append("</").Append(DsmlTokens.Dsml).Append("parameter>");
        }
        builder.Append('\n').Append(DsmlTokens.InvokeClose).Append('>');
    }

    private static IReadOnlyList<KeyValuePair<string, JsonElement>> ParseArguments(ToolCall call)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(call.ArgumentsJson, PythonJson.ParseOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ChatEncodingException($"tool call `{call.Name}`: arguments are not valid JSON ({e.Message})", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ChatEncodingException($"tool call `{call.Name}`: arguments must be a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
        return PythonJson.ObjectMembers(root);
    }
}
