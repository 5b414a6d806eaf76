using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>One benchmarked linear: weight dtype, W [Out, In], activation rows.</summary>
public sealed record GemvCase(DType DType, int Out, int In, int Rows)
{
    /// <summary>
    /// The expert shapes (gate/up 7168→2048, down 2048→7168) at decode (1 row), 4 and 64 rows; then decode of
    /// the `seek bench cpu` random model's expert shapes (2048→1024, 1024→2048: 2 MB of FP8, where per-call
    /// costs show).
    /// </summary>
    public static IReadOnlyList<GemvCase> Standard { get; } =
    [
        .. from dtype in new[] { DType.F8E4M3, DType.BF16 }
           from shape in new[] { (Out: 2048, In: 7168), (Out: 7168, In: 2048) }
           from rows in new[] { 1, 4, 64 }
           select new GemvCase(dtype, shape.Out, shape.In, rows),
        .. from dtype in new[] { DType.F8E4M3, DType.BF16 }
           from shape in new[] { (Out: 1024, In: 2048), (Out: 2048, In: 1024) }
           select new GemvCase(dtype, shape.Out, shape.In, 1),
    ];

    /// <summary>Bytes of W one call reads (scales excluded: 1/16384 of the FP8 bytes).</summary>
    public long WeightBytes => (long)Out * In * DType.SizeOf();

    /// <summary>Multiply-adds one call performs.</summary>
    public long MultiplyAdds => (long)Out * In * Rows;

    public override string ToString() => $"{(DType == DType.F8E4M3 ? "fp8" : "bf16")} {In}->{Out} x{Rows}";

    /// <summary>Random weights of this shape (checkpoint-like e4m3 codes and block scales, or bf16 normals).</summary>
    public LinearWeight CreateWeight(int seed = 1)
    {
        var random = new Random(seed);
        if (DType == DType.F8E4M3)
        {
            var codes = Fp8Codes(random, Out * In);
            var scales = new float[(Out + 127) / 128 * ((In + 127) / 128)];
            for (var i = 0; i < scales.Length; i++) scales[i] = 1e-4f * (1 + random.NextSingle());
            return LinearWeight.FromFp8($"bench.{this}", codes, scales, Out, In);
        }
        var bits = new ushort[Out * In];
        for (var i = 0; i < bits.Length; i++) bits[i] = BFloat16Math.FromFloat((random.NextSingle() - 0.5f) * 0.1f);
        return LinearWeight.FromBf16($"bench.{this}", bits, Out, In);
    }

    /// <summary>
    /// e4m3 codes distributed like a quantised checkpoint's: normal values scaled so that 4.5σ maps to 448, so
    /// zeros and subnormals are as rare as in real weights (uniform random bytes would make 1/16 of them subnormal).
    /// </summary>
    public static byte[] Fp8Codes(Random random, int count)
    {
        var codes = new byte[count];
        for (var i = 0; i < codes.Length; i++)
        {
            var normal = MathF.Sqrt(-2f * MathF.Log(1f - random.NextSingle())) * MathF.Cos(2f * MathF.PI * random.NextSingle());
            codes[i] = Fp8E4M3.FromFloat(Math.Clamp(normal * (448f / 4.5f), -448f, 448f));
        }
        return codes;
    }

    /// <summary>bf16-representable activations [Rows, In].</summary>
    public float[] CreateInput(int seed = 2)
    {
        var random = new Random(seed);
        var x = new float[Rows * In];
        for (var i = 0; i < x.Length; i++) x[i] = BFloat16Math.Round((random.NextSingle() - 0.5f) * 4f);
        return x;
    }
}
