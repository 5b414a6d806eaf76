using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>Maps header dtype strings to <see cref="DType"/>, telling "valid but unsupported" apart from "garbage".</summary>
internal static class SafetensorsDTypeNames
{
    // Every dtype string the reference implementation (huggingface/safetensors tensor.rs) accepts.
    private static readonly HashSet<string> s_allSafetensorsNames = new(StringComparer.Ordinal)
    {
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
        "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
    };

    /// <summary>Parses <paramref name="name"/> or throws a <see cref="CheckpointFormatException"/> that quotes it.</summary>
    public static DType Parse(string name, string file, string tensor)
    {
        if (DTypes.TryParseSafetensors(name, out var type)) return type;
        var problem = s_allSafetensorsNames.Contains(name)
            ? $"dtype '{name}' is a valid safetensors dtype but is not supported by SeekSharp"
            : $"unknown dtype '{Printable(name)}'";
        throw new CheckpointFormatException(file, tensor, problem);
    }

    /// <summary>Keeps error messages readable when a fuzzed header holds control characters or megabytes of text.</summary>
    internal static string Printable(string text)
    {
        const int maxLength = 64;
        var clipped = text.Length > maxLength ? text[..maxLength] + "…" : text;
        return string.Create(clipped.Length, clipped, static (dst, src) =>
        {
            for (var i = 0; i < src.Length; i++) dst[i] = char.IsControl(src[i]) ? '?' : src[i];
        });
    }
}
