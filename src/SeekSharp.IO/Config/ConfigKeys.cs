using System.Text.Json;

namespace SeekSharp.IO.Config;

/// <summary>
/// Typed access to one JSON object of a config, with errors that name the (dotted) key, e.g. "rope_scaling.factor".
/// Optional keys take their default when absent or null (as HF's config classes do with None).
/// </summary>
internal sealed class ConfigKeys(JsonElement obj, string source, string prefix = "")
{
    public bool Has(string key) => obj.TryGetProperty(key, out _);

    /// <summary>True when the key is absent or explicitly null.</summary>
    public bool IsAbsent(string key) => !obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null;

    public JsonElement Element(string key) =>
        obj.TryGetProperty(key, out var v) ? v : throw Error(key, "is required but missing");

    public ConfigKeys Object(string key)
    {
        var v = Element(key);
        if (v.ValueKind != JsonValueKind.Object) throw Error(key, $"must be an object, got {Describe(v)}");
        return new ConfigKeys(v, source, prefix + key + ".");
    }

    public string String(string key)
    {
        var v = Element(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(key, $"must be a string, got {Describe(v)}");
    }

    public string String(string key, string absentDefault) => IsAbsent(key) ? absentDefault : String(key);

    public bool Bool(string key)
    {
        var v = Element(key);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(key, $"must be true or false, got {Describe(v)}"),
        };
    }

    public bool Bool(string key, bool absentDefault) => IsAbsent(key) ? absentDefault : Bool(key);

    public double Number(string key)
    {
        var v = Element(key);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
            throw Error(key, $"must be a number, got {Describe(v)}");
        return d;
    }

    public double PositiveNumber(string key)
    {
        var d = Number(key);
        return d > 0 ? d : throw Error(key, $"must be positive, got {d}");
    }

    /// <summary>An integer; integral floats such as 4.0 are accepted (some writers produce them), 2.5 is not.</summary>
    public int Integer(string key) => IntegerValue(Element(key), key);

    public int Positive(string key)
    {
        var i = Integer(key);
        return i > 0 ? i : throw Error(key, $"must be positive, got {i}");
    }

    public int Positive(string key, int absentDefault) => IsAbsent(key) ? absentDefault : Positive(key);

    public int NonNegative(string key)
    {
        var i = Integer(key);
        return i >= 0 ? i : throw Error(key, $"must not be negative, got {i}");
    }

    public int NonNegative(string key, int absentDefault) => IsAbsent(key) ? absentDefault : NonNegative(key);

    /// <summary>An integer or a list of integers (e.g. eos_token_id), as a list; each one non-negative.</summary>
    public IReadOnlyList<int> NonNegativeIntegers(string key)
    {
        var v = Element(key);
        if (v.ValueKind != JsonValueKind.Array) return [NonNegative(key)];
        var values = new int[v.GetArrayLength()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = IntegerValue(v[i], $"{key}[{i}]");
            if (values[i] < 0) throw Error($"{key}[{i}]", $"must not be negative, got {values[i]}");
        }
        return values;
    }

    /// <summary>A JSON number that is an integer in int range; <paramref name="key"/> names it in the error.</summary>
    public int IntegerValue(JsonElement v, string key)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d))
            throw Error(key, $"must be an integer, got {Describe(v)}");
        if (d != Math.Floor(d) || d > int.MaxValue || d < int.MinValue)
            throw Error(key, $"must be an integer (32-bit), got {v.GetRawText()}");
        return (int)d;
    }

    public CheckpointFormatException Error(string key, string problem) => new(source, prefix + key, problem);

    /// <summary>The `key 'value' is not supported` error used for every single-value key.</summary>
    public CheckpointFormatException Unsupported(string key, string value, string supported) =>
        Error(key, $"'{value}' is not supported (supported: {supported})");

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{v.GetString()}\"",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => v.GetRawText(),
    };
}
