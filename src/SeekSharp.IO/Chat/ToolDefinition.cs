using System.Text.Json;

namespace SeekSharp.IO.Chat;

/// <summary>
/// A tool offered to the model: the OpenAI <c>function</c> object (<c>name</c>, <c>description</c>,
/// <c>parameters</c>, <c>strict</c>, ...) kept as parsed JSON so that its key order and number spelling
/// survive until the prompt re-serializes it.
/// </summary>
public sealed class ToolDefinition : IEquatable<ToolDefinition>
{
    public ToolDefinition(JsonElement function)
    {
        Function = function.Clone();
    }

    /// <summary>The OpenAI <c>function</c> object, without the <c>{"type": "function"}</c> wrapper.</summary>
    public JsonElement Function { get; }

    /// <summary>The <c>name</c> property when it is a string.</summary>
    public string? Name =>
        Function.ValueKind == JsonValueKind.Object && Function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            ? name.GetString()
            : null;

    /// <summary>Parses the JSON text of a <c>function</c> object.</summary>
    public static ToolDefinition FromJson(string functionJson)
    {
        using var document = JsonDocument.Parse(functionJson);
        return new ToolDefinition(document.RootElement);
    }

    /// <summary>Builds <c>{"name", "description", "parameters"}</c> in that order (description and parameters when given).</summary>
    public static ToolDefinition Create(string name, string? description, JsonElement? parameters)
    {
        var json = new System.Text.StringBuilder("{\"name\": ").Append(PythonJson.QuoteString(name));
        if (description is not null) json.Append(", \"description\": ").Append(PythonJson.QuoteString(description));
        if (parameters is { } schema) json.Append(", \"parameters\": ").Append(schema.GetRawText());
        return FromJson(json.Append('}').ToString());
    }

    /// <summary>Equal when the JSON text is identical (key order and number spelling included).</summary>
    public bool Equals(ToolDefinition? other) =>
        other is not null && Function.GetRawText() == other.Function.GetRawText();

    public override bool Equals(object? obj) => Equals(obj as ToolDefinition);

    public override int GetHashCode() => Function.GetRawText().GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Function.GetRawText();
}
