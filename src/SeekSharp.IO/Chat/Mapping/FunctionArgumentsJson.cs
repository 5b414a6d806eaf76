using System.Text;
using System.Text.Json;

namespace SeekSharp.IO.Chat.Mapping;

/// <summary>
/// Converts a tool call's arguments between the JSON string the model and the OpenAI wire use and the
/// dictionary Microsoft.Extensions.AI uses. Keys keep their order; values become <see cref="JsonElement"/>s,
/// so numbers keep their spelling.
/// </summary>
public static class FunctionArgumentsJson
{
    /// <summary>
    /// The arguments object as an insertion-ordered dictionary (a repeated key keeps its first position and last
    /// value, like Python's json.loads); null when the text is not a JSON object.
    /// </summary>
    public static IDictionary<string, object?>? TryParse(string argumentsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(argumentsJson, PythonJson.ParseOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            var arguments = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in PythonJson.ObjectMembers(document.RootElement))
                arguments[key] = value.Clone();
            return arguments;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The dictionary as Python's json.dumps would write it. Values may be <see cref="JsonElement"/>,
    /// <see cref="System.Text.Json.Nodes.JsonNode"/> or plain .NET values (serialized with System.Text.Json first).
    /// </summary>
    public static string Format(IDictionary<string, object?>? arguments)
    {
        var json = new StringBuilder("{");
        var first = true;
        foreach (var (key, value) in arguments ?? new Dictionary<string, object?>())
        {
            if (!first) json.Append(", ");
            first = false;
            PythonJson.WriteString(json, key);
            json.Append(": ");
            PythonJson.Write(json, ToElement(value));
        }
        return json.Append('}').ToString();
    }

    /// <summary>True when both hold the same JSON values in the same key order.</summary>
    public static bool SameArguments(IDictionary<string, object?>? left, IDictionary<string, object?>? right) =>
        Format(left) == Format(right);

    private static JsonElement ToElement(object? value) => value switch
    {
        JsonElement element => element,
        null => JsonSerializer.SerializeToElement<object?>(null),
        _ => JsonSerializer.SerializeToElement(value, value.GetType()),
    };
}
