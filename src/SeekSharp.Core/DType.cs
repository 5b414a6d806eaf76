namespace SeekSharp.Core;

/// <summary>Element types found in DeepSeek checkpoints and our caches.</summary>
public enum DType
{
    F32,
    BF16,
    F16,
    /// <summary>FP8 e4m3fn: no infinities, NaN = 0x7F/0xFF, max ±448.</summary>
    F8E4M3,
    I64,
    I32,
    I8,
    U8,
    Bool,
}

public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType type) => type switch
    {
        DType.F32 or DType.I32 => 4,
        DType.BF16 or DType.F16 => 2,
        DType.I64 => 8,
        DType.F8E4M3 or DType.I8 or DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };

    /// <summary>The dtype string the safetensors header uses.</summary>
    public static string SafetensorsName(this DType type) => type switch
    {
        DType.F32 => "F32",
        DType.BF16 => "BF16",
        DType.F16 => "F16",
        DType.F8E4M3 => "F8_E4M3",
        DType.I64 => "I64",
        DType.I32 => "I32",
        DType.I8 => "I8",
        DType.U8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };

    /// <summary>Parses a safetensors dtype string; false for names we do not support.</summary>
    public static bool TryParseSafetensors(string name, out DType type)
    {
        switch (name)
        {
            case "F32": type = DType.F32; return true;
            case "BF16": type = DType.BF16; return true;
            case "F16": type = DType.F16; return true;
            case "F8_E4M3": type = DType.F8E4M3; return true;
            case "I64": type = DType.I64; return true;
            case "I32": type = DType.I32; return true;
            case "I8": type = DType.I8; return true;
            case "U8": type = DType.U8; return true;
            case "BOOL": type = DType.Bool; return true;
            default: type = default; return false;
        }
    }
}
