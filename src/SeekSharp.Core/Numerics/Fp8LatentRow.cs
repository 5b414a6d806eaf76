using System.Runtime.InteropServices;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// One cached MLA latent row in FP8 (FlashMLA's "V32_FP8Sparse" latent part): the kvLora values as e4m3 codes, then one
/// fp32 scale per 128 values (ue8m0: a power of two, as the Dec-2025 reference's fake quantisation), little-endian.
/// 512 + 16 bytes for the real model; with the 64 bf16 k_pe values of the rope cache, 656 bytes a token and layer instead
/// of 1152. A code times its scale is exactly the bf16 value <see cref="ActQuant.FakeQuantizeRowToBf16"/> gives, so a
/// cache of these rows holds the fake-quantised latent bit for bit.
/// </summary>
public static class Fp8LatentRow
{
    /// <summary>Bytes of one row of <paramref name="kvLora"/> values.</summary>
    public static int Bytes(int kvLora) => kvLora + 4 * ActQuant.BlockCount(kvLora);

    /// <summary>The values of a row of <paramref name="bytes"/> bytes, or -1 when no value count gives that size.</summary>
    public static int ValuesOf(int bytes)
    {
        // kvLora + 4·ceil(kvLora/128) = bytes: kvLora is within 4·ceil(bytes/128) of bytes
        for (var values = Math.Max(0, bytes - 4 * ActQuant.BlockCount(bytes)); values <= bytes; values++)
            if (Bytes(values) == bytes) return values;
        return -1;
    }

    /// <summary>Quantises <paramref name="latent"/> (power-of-two scales) into <paramref name="row"/> (<see cref="Bytes"/> long).</summary>
    public static void Encode(ReadOnlySpan<float> latent, Span<byte> row)
    {
        SpanGuard.AtLeast(row.Length, Bytes(latent.Length), nameof(row));
        var blocks = ActQuant.BlockCount(latent.Length);
        Span<float> scales = blocks <= 64 ? stackalloc float[blocks] : new float[blocks];
        ActQuant.QuantizeRow(latent, row[..latent.Length], scales, ActQuant.DefaultBlockSize, powerOfTwoScales: true);
        MemoryMarshal.AsBytes(scales).CopyTo(row[latent.Length..]);
    }

    /// <summary>latent[i] = e4m3(code i) · scale of its block (exact in fp32 and in bf16).</summary>
    public static void Decode(ReadOnlySpan<byte> row, Span<float> latent)
    {
        SpanGuard.AtLeast(row.Length, Bytes(latent.Length), nameof(row));
        var blocks = ActQuant.BlockCount(latent.Length);
        var scales = MemoryMarshal.Cast<byte, float>(row.Slice(latent.Length, 4 * blocks));
        for (var i = 0; i < latent.Length; i++)
            latent[i] = Fp8E4M3.ToFloat(row[i]) * scales[i / ActQuant.DefaultBlockSize];
    }
}
