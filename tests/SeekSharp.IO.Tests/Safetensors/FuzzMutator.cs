using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>Seeded corruptions of a safetensors file or a JSON text, each labelled for failure reports.</summary>
internal sealed partial class FuzzMutator(int seed)
{
    private static readonly string[] s_numberReplacements =
    [
        "0", "1", "-1", "-0", "1.5", "1e3", "2E1", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "4294967296", "00", "0x10", "",
    ];

    private static readonly string[] s_dtypeReplacements =
    [
        "F32", "BF16", "F16", "F8_E4M3", "I64", "I32", "I8", "U8", "BOOL", "F64", "U16", "F8_E5M2", "F4", "C64",
        "f32", "", "F32 ", "\\u0046\\u0033\\u0032", "\\ud800",
    ];

    private const string StructuralCharacters = "{}[]\",:0-. \\\u00e9\u0000";

    private readonly Random _random = new(seed);

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>A corrupted copy of a safetensors file, the mutation's label, and whether it touched only tensor data.</summary>
    public (byte[] Bytes, string Label, bool DataOnly) MutateFile(byte[] file)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var dataStart = 8 + headerLength;
        var copy = (byte[])file.Clone();
        switch (_random.Next(9))
        {
            case 0:
                return (FlipBytes(copy, 8, dataStart), "flip header bytes", false);
            case 1 when file.Length > dataStart:
                return (FlipBytes(copy, dataStart, file.Length), "flip data bytes", true);
            case 2:
                return (FlipBytes(copy, 0, file.Length), "flip any bytes", false);
            case 3:
                var cut = _random.Next(file.Length);
                return (file[..cut], $"truncate to {cut}", false);
            case 4:
                var declared = CorruptLength((ulong)headerLength, file.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(copy, declared);
                return (copy, $"header length {declared}", false);
            case 5:
                var extra = new byte[1 + _random.Next(16)];
                _random.NextBytes(extra);
                return ([.. file, .. extra], $"append {extra.Length} bytes", false);
            default:
                var header = Encoding.UTF8.GetString(file, 8, headerLength);
                var (json, label) = MutateJson(header);
                var jsonBytes = Encoding.UTF8.GetBytes(json);
                return (RawSafetensors.Build(jsonBytes, file[dataStart..]), label, false);
        }
    }

    /// <summary>A textual JSON edit: a number, a dtype string, or the structure.</summary>
    public (string Json, string Label) MutateJson(string json)
    {
        switch (_random.Next(6))
        {
            case 0:
            case 1:
            {
                var numbers = NumberPattern().Matches(json);
                if (numbers.Count == 0) goto default;
                var target = numbers[_random.Next(numbers.Count)];
                var replacement = _random.Next(3) == 0 && long.TryParse(target.Value, out var value)
                    ? (value + _random.Next(-8, 9)).ToString()
                    : s_numberReplacements[_random.Next(s_numberReplacements.Length)];
                return (Replace(json, target.Index, target.Length, replacement), $"number {target.Value} → '{replacement}'");
            }
            case 2:
            {
                var dtypes = DTypePattern().Matches(json);
                if (dtypes.Count == 0) goto default;
                var target = dtypes[_random.Next(dtypes.Count)].Groups[1];
                var replacement = s_dtypeReplacements[_random.Next(s_dtypeReplacements.Length)];
                return (Replace(json, target.Index, target.Length, replacement), $"dtype {target.Value} → '{replacement}'");
            }
            case 3:
            {
                var numbers = NumberPattern().Matches(json);
                if (numbers.Count < 2) goto default;
                var a = numbers[_random.Next(numbers.Count)];
                var b = numbers[_random.Next(numbers.Count)];
                if (a.Index == b.Index) goto default;
                var (first, second) = a.Index < b.Index ? (a, b) : (b, a);
                var swapped = Replace(Replace(json, second.Index, second.Length, first.Value), first.Index, first.Length, second.Value);
                return (swapped, $"swap numbers {first.Value} and {second.Value}");
            }
            case 4:
            {
                var at = _random.Next(json.Length);
                var length = 1 + _random.Next(Math.Min(12, json.Length - at));
                return (json.Remove(at, length), $"delete {length} chars at {at}");
            }
            default:
            {
                var at = _random.Next(json.Length + 1);
                var inserted = StructuralCharacters[_random.Next(StructuralCharacters.Length)].ToString();
                return (json.Insert(at, inserted), $"insert U+{(int)inserted[0]:X4} at {at}");
            }
        }
    }

    private byte[] FlipBytes(byte[] bytes, int start, int end)
    {
        if (end <= start) return bytes;
        var flips = 1 + _random.Next(4);
        for (var i = 0; i < flips; i++) bytes[start + _random.Next(end - start)] ^= (byte)(1 + _random.Next(255));
        return bytes;
    }

    private ulong CorruptLength(ulong actual, int fileLength) => _random.Next(7) switch
    {
        0 => 0,
        1 => actual + (ulong)(1 + _random.Next(16)),
        2 => actual - (ulong)Math.Min((long)actual, 1 + _random.Next(16)),
        3 => (ulong)_random.Next(fileLength + 16),
        4 => 100_000_001,
        5 => ulong.MaxValue - (ulong)_random.Next(16),
        _ => (ulong)_random.NextInt64(),
    };

    private static string Replace(string text, int index, int length, string replacement) =>
        string.Concat(text.AsSpan(0, index), replacement, text.AsSpan(index + length));

    [GeneratedRegex("[0-9]+")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("\"dtype\":\"([^\"]*)\"")]
    private static partial Regex DTypePattern();
}
