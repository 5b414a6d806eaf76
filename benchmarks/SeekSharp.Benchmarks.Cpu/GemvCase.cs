using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>One benchmarked linear: weight dtype, W [Out, In], activation rows.</summary>
public sealed record GemvCase(DType DType, int Out, int In, int Rows)
{
    /// <summary>The expert shapes (gate/up 7168→2048, down 2048→7168) at decode (1 row), 4 and 64 rows.</summary>
    public static IReadOnlyList<GemvCase> Standard { get; } =
    [
        .. from dtype in new[] { DType.F8E4M3, DType.BF16 }
           from shape in new[] { (Out: 2048, In: 7168), (Out: 7168, In: 2048) }
           from rows in new[] { 1, 4, 64 }
           select new GemvCase(dtype, shape.Out, shape.In, rows),
    ];

    /// <summary>Bytes of W one call reads (scales excluded: 1/16384 of the FP8 bytes).</summary>
    public long WeightBytes => (long)Out * In * DType.SizeOf();

    /// <summary>Multiply-adds one call performs.</summary>
    public long MultiplyAdds => (long)Out * In * Rows;

    public override string ToString() => $"{(DType == DType.F8E4M3 ? "fp8" : "bf16")} {In}->{Out} x{Rows}";

    /// <summary>Random weights of this shape (finite e4m3 codes and block scales, or bf16 normals).</summary>
    public LinearWeight CreateWeight(int seed = 1)
    {
        var random = new Random(seed);
        if (DType == DType.F8E4M3)
        {
            var codes = new byte[Out * In];
            random.NextBytes(codes);
            for (var i = 0; i < codes.Length; i++) if ((codes[i] & 0x7F) == 0x7F) codes[i] = 0x70;
            var scales = new float[(Out + 127) / 128 * ((In + 127) / 128)];
            for (var i = 0; i < scales.Length; i++) scales[i] = 1e-4f * (1 + random.NextSingle());
            return LinearWeight.FromFp8($"bench.{this}", codes, scales, Out, In);
        }
        var bits = new ushort[Out * In];
        for (var i = 0; i < bits.Length; i++) bits[i] = BFloat16Math.FromFloat((random.NextSingle() - 0.5f) * 0.1f);
        return LinearWeight.FromBf16($"bench.{this}", bits, Out, In);
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
