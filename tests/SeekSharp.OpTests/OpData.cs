using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;

namespace SeekSharp.OpTests;

/// <summary>Seeded random operands shaped like the model's: bf16-valued activations, FP8/bf16/f32 weights.</summary>
public sealed class OpData(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>Normal(0, scale) values rounded to bf16.</summary>
    public float[] Activations(long count, float scale = 1f)
    {
        var x = new float[count];
        for (var i = 0; i < x.Length; i++) x[i] = BFloat16Math.Round(Normal() * scale);
        return x;
    }

    /// <summary>Uniform values in [lo, hi) (fp32, not rounded).</summary>
    public float[] Uniform(long count, float lo, float hi)
    {
        var x = new float[count];
        for (var i = 0; i < x.Length; i++) x[i] = lo + (float)_random.NextDouble() * (hi - lo);
        return x;
    }

    /// <summary>Finite e4m3 codes (NaN codes 0x7F/0xFF excluded), magnitudes spread over the whole range.</summary>
    public byte[] Fp8Codes(long count)
    {
        var codes = new byte[count];
        for (var i = 0; i < codes.Length; i++)
        {
            byte c;
            do c = (byte)_random.Next(256); while ((c & 0x7F) == 0x7F);
            codes[i] = c;
        }
        return codes;
    }

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    public LinearWeight Weight(DType dtype, int outFeatures, int inFeatures, string name = "w")
    {
        var count = outFeatures * inFeatures;
        switch (dtype)
        {
            case DType.F32:
                return LinearWeight.FromArray(name, Activations(count, 0.05f), outFeatures, inFeatures);
            case DType.BF16:
                var bits = new ushort[count];
                var values = Activations(count, 0.05f);
                BFloat16Math.FromFloat(values, bits);
                return LinearWeight.FromBf16(name, bits, outFeatures, inFeatures);
            case DType.F8E4M3:
                var blocks = (outFeatures + LinearWeight.BlockSize - 1) / LinearWeight.BlockSize * ((inFeatures + LinearWeight.BlockSize - 1) / LinearWeight.BlockSize);
                var scales = new float[blocks];
                // weight_scale_inv of trained checkpoints: small positive fp32 multipliers
                for (var i = 0; i < scales.Length; i++) scales[i] = MathF.Pow(2, -10 + _random.Next(4)) * (1 + (float)_random.NextDouble());
                return LinearWeight.FromFp8(name, Fp8Codes(count), scales, outFeatures, inFeatures);
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    private float Normal()
    {
        // Box–Muller; fp32 is enough for test operands
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
