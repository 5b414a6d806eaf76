using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SeekSharp.IO.Chat;

/// <summary>
/// Reproduces Python's <c>json.dumps(json.loads(text), ensure_ascii=False)</c>: separators ", " and ": ",
/// non-ASCII kept raw, only <c>"</c>, <c>\</c> and control characters escaped, integers verbatim,
/// floats in <c>repr</c> form, and objects with Python dict semantics (a repeated key keeps its first
/// position and its last value).
/// </summary>
public static class PythonJson
{
    /// <summary>Formats a parsed JSON value the way the reference encoder serializes it.</summary>
    public static string Format(JsonElement value)
    {
        var builder = new StringBuilder();
        Write(builder, value);
        return builder.ToString();
    }

    /// <summary>Parses JSON text and formats it (convenience for tests and tools).</summary>
    public static string Format(string json)
    {
        using var document = JsonDocument.Parse(json, ParseOptions);
        return Format(document.RootElement);
    }

    /// <summary>Python's recursion limit allows deep nesting; System.Text.Json stops at 64 by default.</summary>
    public static JsonDocumentOptions ParseOptions { get; } = new() { MaxDepth = 900 };

    public static void Write(StringBuilder builder, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                builder.Append('{');
                var first = true;
                foreach (var (key, member) in ObjectMembers(value))
                {
                    if (!first) builder.Append(", ");
                    first = false;
                    WriteString(builder, key);
                    builder.Append(": ");
                    Write(builder, member);
                }
                builder.Append('}');
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index++ > 0) builder.Append(", ");
                    Write(builder, item);
                }
                builder.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(builder, value.GetString()!);
                break;
            case JsonValueKind.Number:
                builder.Append(FormatNumber(value.GetRawText()));
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            case JsonValueKind.Null:
                builder.Append("null");
                break;
            default:
                throw new ArgumentException($"not a JSON value: {value.ValueKind}", nameof(value));
        }
    }

    /// <summary>
    /// The members of an object as a Python dict sees them after <c>json.loads</c>: in first-seen key order,
    /// a repeated key taking the last value.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, JsonElement>> ObjectMembers(JsonElement obj)
    {
        var members = new List<KeyValuePair<string, JsonElement>>();
        Dictionary<string, int>? positions = null;
        foreach (var property in obj.EnumerateObject())
        {
            positions ??= new Dictionary<string, int>(StringComparer.Ordinal);
            if (positions.TryGetValue(property.Name, out var at))
                members[at] = new(property.Name, property.Value);
            else
            {
                positions[property.Name] = members.Count;
                members.Add(new(property.Name, property.Value));
            }
        }
        return members;
    }

    /// <summary>A JSON string literal as Python writes it with ensure_ascii=False.</summary>
    public static string QuoteString(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        WriteString(builder, text);
        return builder.ToString();
    }

    public static void WriteString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (c < 0x20) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
    }

    /// <summary>
    /// A JSON number token as Python re-serializes it: without fraction or exponent it is an int and stays
    /// verbatim (arbitrary size; <c>-0</c> becomes <c>0</c>); otherwise it is a float in repr form.
    /// </summary>
    public static string FormatNumber(string token)
    {
        if (token.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
            return token == "-0" ? "0" : token;
        return FormatFloat(double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Python <c>repr(float)</c> as json.dumps writes it: shortest round-trip digits, positional notation for
    /// decimal exponents -4..15 (with at least one fractional digit), otherwise <c>d.ddde±XX</c>.
    /// </summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";

        var (negative, digits, power) = ShortestDigits(value);
        var sign = negative ? "-" : "";
        if (digits.Length == 0) return sign + "0.0";

        // value = digits * 10^power; exponent = decimal exponent of the first digit
        var exponent = digits.Length - 1 + power;
        if (exponent < -4 || exponent >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
            var exponentText = Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
            return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{exponentText}";
        }
        if (power >= 0) return sign + digits + new string('0', power) + ".0";
        var integerDigits = digits.Length + power;
        if (integerDigits > 0) return sign + digits[..integerDigits] + "." + digits[integerDigits..];
        return sign + "0." + new string('0', -integerDigits) + digits;
    }

    /// <summary>Splits .NET's shortest round-trip text ("R") into sign, significant digits and a power of ten.</summary>
    private static (bool Negative, string Digits, int Power) ShortestDigits(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative) text = text[1..];

        var power = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            power = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        if (dot >= 0)
        {
            power -= text.Length - dot - 1;
            text = text.Remove(dot, 1);
        }
        text = text.TrimStart('0');
        var trimmed = text.TrimEnd('0');
        power += text.Length - trimmed.Length;
        return (negative, trimmed, power);
    }

    /// <summary>Python truthiness of a JSON value: null, false, 0, 0.0, "", [] and {} are false.</summary>
    public static bool IsTruthy(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False => false,
        JsonValueKind.True => true,
        JsonValueKind.String => value.GetString()!.Length > 0,
        JsonValueKind.Array => value.GetArrayLength() > 0,
        JsonValueKind.Object => value.EnumerateObject().Any(),
        JsonValueKind.Number => double.Parse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture) != 0.0,
        _ => false,
    };
}
