using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Cpu.Tests;

/// <summary>Seeded random weights and activations shaped like the model's (bf16-representable activations).</summary>
internal static class RandomOperands
{
    /// <summary>
    /// Activations [rows, cols]: normal values whose magnitude changes per 128-column block (so each block gets
    /// its own act-quant scale), a few exact zeros and one all-zero block (the amax floor), rounded to bf16.
    /// </summary>
    public static float[] Activations(Random random, int rows, int cols)
    {
        var x = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var blockMagnitude = MathF.Pow(2f, (r * 7 + c / 128 * 3) % 9 - 4);
                var value = random.Next(50) == 0 ? 0f : Normal(random) * blockMagnitude;
                x[r * cols + c] = BFloat16Math.Round(value);
            }
        }
        if (rows > 2 && cols > 128) x.AsSpan(2 * cols, 128).Clear();
        return x;
    }

    /// <summary>Every finite e4m3 code (NaN codes 0x7F / 0xFF excluded), so subnormals and ±448 all occur.</summary>
    public static LinearWeight Fp8(Random random, int outFeatures, int inFeatures)
    {
        var codes = new byte[outFeatures * inFeatures];
        for (var i = 0; i < codes.Length; i++)
        {
            byte code;
            do code = (byte)random.Next(256); while ((code & 0x7F) == 0x7F);
            codes[i] = code;
        }
        var scales = new float[Blocks(outFeatures) * Blocks(inFeatures)];
        for (var i = 0; i < scales.Length; i++) scales[i] = MathF.ScaleB(1f + (float)random.NextDouble(), -random.Next(8, 14));
        return LinearWeight.FromFp8("random.fp8", codes, scales, outFeatures, inFeatures);
    }

    public static LinearWeight Bf16(Random random, int outFeatures, int inFeatures)
    {
        var bits = new ushort[outFeatures * inFeatures];
        for (var i = 0; i < bits.Length; i++) bits[i] = BFloat16Math.FromFloat(Normal(random) * 0.05f);
        return LinearWeight.FromBf16("random.bf16", bits, outFeatures, inFeatures);
    }

    public static LinearWeight F32(Random random, int outFeatures, int inFeatures)
    {
        var values = new float[outFeatures * inFeatures];
        for (var i = 0; i < values.Length; i++) values[i] = Normal(random) * 0.05f;
        return LinearWeight.FromArray("random.f32", values, outFeatures, inFeatures);
    }

    private static int Blocks(int n) => (n + 127) / 128;

    private static float Normal(Random random)
    {
        var u = 1.0 - random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }
}
