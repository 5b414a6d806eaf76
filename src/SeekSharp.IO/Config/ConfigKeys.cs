using System.Text.Json;

namespace SeekSharp.IO.Config;

/// <summary>Typed access to one JSON object of a config, with errors that name the (dotted) key.</summary>
internal sealed class Keys(JsonElement obj, string source, string prefix = "")
{
    public bool Has(string key) => obj.TryGetProperty(key, out _);

    public bool IsNull(string key) => obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Null;

    public JsonElement Element(string key) =>
        obj.TryGetProperty(key, out var v) ? v : throw Error(key, "is required but missing");

    public Keys Object(string key)
    {
        var v = Element(key);
        if (v.ValueKind != JsonValueKind.Object) throw Error(key, $"must be an object, got {Describe(v)}");
        return new Keys(v, source, prefix + key + ".");
    }

    public string String(string key)
    {
        var v = Element(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(key, $"must be a string, got {Describe(v)}");
    }

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

    /// <summary>An integer; integral floats such as 4.0 are accepted as HF writers sometimes produce them.</summary>
    public int Integer(string key)
    {
        var d = Number(key);
        if (d != Math.Floor(d) || d > int.MaxValue || d < int.MinValue) throw Error(key, $"must be an integer, got {Element(key).GetRawText()}");
        return (int)d;
    }

    public int Positive(string key)
    {
        var i = Integer(key);
        return i > 0 ? i : throw Error(key, $"must be positive, got {i}");
    }

    public int NonNegative(string key)
    {
        var i = Integer(key);
        return i >= 0 ? i : throw Error(key, $"must not be negative, got {i}");
    }

    public CheckpointFormatException Error(string key, string problem) => new(source, prefix + key, problem);

    public void Fail(string key, string problem) => throw Error(key, problem);

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{v.GetString()}\"",
        JsonValueKind.Null => "null",
        _ => v.GetRawText(),
    };
}
