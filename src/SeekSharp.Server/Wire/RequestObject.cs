using System.Text.Json;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>
/// Typed, strict access to the members of a JSON request object: a wrong type or an out-of-range value throws
/// <see cref="ApiException"/> 400 naming the field (<c>"stream_options.include_usage"</c>). JSON null counts as absent,
/// as in the OpenAI API. Unknown members are ignored, so newer clients keep working.
/// </summary>
public sealed class RequestObject
{
    private readonly Dictionary<string, JsonElement> _members = new(StringComparer.Ordinal);

    public RequestObject(JsonElement element, string path)
    {
        Path = path;
        if (element.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest(path.Length == 0 ? null : path, $"{Describe(path)} must be a JSON object, got {KindName(element)}");
        foreach (var member in element.EnumerateObject()) _members[member.Name] = member.Value;
    }

    /// <summary>Dotted path of this object inside the request ("" for the top level).</summary>
    public string Path { get; }

    public string FieldPath(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    public bool Has(string name) => TryGet(name, out _);

    public bool TryGet(string name, out JsonElement value) =>
        _members.TryGetValue(name, out value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    public string? String(string name)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String) throw WrongType(name, "a string", value);
        return StringValue(value, FieldPath(name));
    }

    /// <summary>The text of a JSON string; a lone surrogate escape (valid JSON, invalid text) is a 400 naming <paramref name="path"/>.</summary>
    public static string StringValue(JsonElement value, string path)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest(path, $"{path} is not valid text (it contains a lone surrogate escape)");
        }
    }

    public bool? Bool(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "a boolean", value),
        };
    }

    public double? Number(string name, double min, double max)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
            throw WrongType(name, "a number", value);
        if (number < min || number > max)
            throw ApiException.BadRequest(FieldPath(name), $"{FieldPath(name)} must be between {min} and {max}, got {number}");
        return number;
    }

    public long? Integer(string name, long min, long max)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
            throw WrongType(name, "an integer", value);
        if (number < min || number > max)
            throw ApiException.BadRequest(FieldPath(name), $"{FieldPath(name)} must be between {min} and {max}, got {number}");
        return number;
    }

    public RequestObject? Object(string name) =>
        TryGet(name, out var value) ? new RequestObject(value, FieldPath(name)) : null;

    public JsonElement? Array(string name)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array) throw WrongType(name, "an array", value);
        return value;
    }

    public ApiException WrongType(string name, string expected, JsonElement got) =>
        ApiException.BadRequest(FieldPath(name), $"{FieldPath(name)} must be {expected}, got {KindName(got)}");

    public static string KindName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    private static string Describe(string path) => path.Length == 0 ? "the request body" : path;
}
