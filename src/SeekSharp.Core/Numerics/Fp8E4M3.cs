using System.Runtime.CompilerServices;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// FP8 e4m3fn (<c>torch.float8_e4m3fn</c>, safetensors <c>F8_E4M3</c>): bit layout s eeee mmm, bias 7.
/// Normal (e = 1..15): ±2^(e-7)·(1 + m/8); subnormal (e = 0): ±2^-6·(m/8), smallest 2^-9.
/// No infinities; 0x7F / 0xFF are NaN; max finite ±448 (0x7E / 0xFE).
/// </summary>
public static class Fp8E4M3
{
    /// <summary>Largest finite magnitude.</summary>
    public const float MaxFinite = 448f;

    /// <summary>Code of +448.</summary>
    public const byte MaxFiniteCode = 0x7E;

    /// <summary>Positive NaN code (the negative one is 0xFF).</summary>
    public const byte NaNCode = 0x7F;

    private const float SmallestNormal = 1f / 64f;   // 2^-6
    private const float SubnormalStepsPerUnit = 512f; // 1 / 2^-9

    private static readonly float[] s_decode = BuildDecodeTable();

    /// <summary>The value of every code, indexed by the code (NaN at 0x7F and 0xFF).</summary>
    public static ReadOnlySpan<float> DecodeTable => s_decode;

    /// <summary>Decodes one code (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(byte code) => s_decode[code];

    /// <summary>Decodes codes to fp32. dst must be at least as long as src.</summary>
    public static void ToFloat(ReadOnlySpan<byte> src, Span<float> dst)
    {
        SpanGuard.AtLeast(dst.Length, src.Length, nameof(dst));
        var table = s_decode;
        for (var i = 0; i < src.Length; i++) dst[i] = table[src[i]];
    }

    /// <summary>
    /// Rounds an fp32 to the nearest e4m3fn code, ties to even (correct in every binade, in the subnormal
    /// range and across the subnormal/normal boundary).
    /// Out of range: every finite |x| ≥ 448 and ±Inf saturate to ±448 (CUDA <c>__NV_SATFINITE</c> semantics).
    /// The reference kernels clamp to ±448 before converting, so for them this equals torch's conversion;
    /// note that torch's own unclamped <c>.to(float8_e4m3fn)</c> instead yields NaN for |x| &gt; 464 and Inf.
    /// NaN → NaN code keeping the sign (0x7F / 0xFF), as torch does. -0 and negative values that round to
    /// zero give 0x80 (negative zero), as torch does.
    /// </summary>
    public static byte FromFloat(float x)
    {
        var bits = BitConverter.SingleToUInt32Bits(x);
        var sign = (byte)((bits >> 24) & 0x80);
        var magnitudeBits = bits & 0x7FFF_FFFFu;
        if (magnitudeBits > 0x7F80_0000u) return (byte)(sign | NaNCode);

        var magnitude = BitConverter.UInt32BitsToSingle(magnitudeBits);
        if (magnitude >= MaxFinite) return (byte)(sign | MaxFiniteCode);

        if (magnitude < SmallestNormal)
        {
            // Count of 2^-9 steps; the scaling is exact, MathF.Round is ties-to-even. A result of 8 is the
            // smallest normal 2^-6, whose code (e = 1, m = 0) is also 8, so the boundary needs no special case.
            return (byte)(sign | (int)MathF.Round(magnitude * SubnormalStepsPerUnit));
        }

        // Normal: re-bias the exponent (127 → 7) and round the 23-bit mantissa to 3 bits.
        var exponent = (int)(magnitudeBits >> 23) - 127 + 7;           // 1..15
        var mantissa = magnitudeBits & 0x7F_FFFFu;
        var kept = mantissa >> 20;
        var dropped = mantissa & 0xF_FFFFu;
        const uint half = 0x8_0000u;
        var roundUp = dropped > half || (dropped == half && (kept & 1) == 1) ? 1 : 0;
        // A mantissa carry rolls into the exponent field (1.875·2^e → 2^(e+1)); magnitude < 448 keeps it ≤ 0x7E.
        return (byte)(sign | ((exponent << 3) + (int)kept + roundUp));
    }

    /// <summary>Encodes fp32 values with <see cref="FromFloat(float)"/>. dst must be at least as long as src.</summary>
    public static void FromFloat(ReadOnlySpan<float> src, Span<byte> dst)
    {
        SpanGuard.AtLeast(dst.Length, src.Length, nameof(dst));
        for (var i = 0; i < src.Length; i++) dst[i] = FromFloat(src[i]);
    }

    private static float[] BuildDecodeTable()
    {
        var table = new float[256];
        for (var code = 0; code < 256; code++)
        {
            var exponent = (code >> 3) & 0xF;
            var mantissa = code & 0x7;
            float magnitude = (exponent, mantissa) switch
            {
                (15, 7) => float.NaN,
                (0, _) => MathF.ScaleB(mantissa, -9),               // 2^-6 · m/8
                _ => MathF.ScaleB(8 + mantissa, exponent - 7 - 3),  // 2^(e-7) · (8+m)/8
            };
            table[code] = (code & 0x80) != 0 ? -magnitude : magnitude;
        }
        return table;
    }
}
