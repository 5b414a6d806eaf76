using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Cpu.Tests;

/// <summary>Hand-computed results for both backends (independent of either implementation).</summary>
public class KnownAnswerTests
{
    public static TheoryData<string> Backends() => ["scalar", "cpu-scalar", "cpu-256", "cpu-512"];

    [Theory]
    [MemberData(nameof(Backends))]
    public void F32SmallMatrix(string backendName)
    {
        using var backend = Create(backendName);
        var w = LinearWeight.FromArray("w", [1, 2, 3, 4, 5, 6], 2, 3);       // [2, 3]
        var y = new float[4];
        backend.Linear(w, [1, 1, 1, 1, 0, -1], 2, y);                        // x: [2, 3]
        Assert.Equal([6f, 15f, -2f, -2f], y);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Bf16SmallMatrix(string backendName)
    {
        using var backend = Create(backendName);
        ushort[] bits = [.. new float[] { 0.5f, -2f, 0.25f, 8f }.Select(BFloat16Math.FromFloat)];
        var w = LinearWeight.FromBf16("w", bits, 2, 2);
        var y = new float[2];
        backend.Linear(w, [4f, 1f], 1, y);
        Assert.Equal([0f, 9f], y);
    }

    /// <summary>
    /// x = 1.0 everywhere: amax 1 → scale 1/448 rounded up to 2^-8, codes 256 (exact in e4m3) — so the
    /// activation is represented exactly. W = 1.0 (code 0x38) with scale_inv 0.5 in the first column block
    /// and 0.25 in the second; In = 200 → y = 128·0.5 + 72·0.25 = 82 for every row, and row block 2 (rows
    /// ≥ 128) uses the second scale row where both scales are doubled → 164.
    /// </summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public void Fp8ExactlyRepresentableProblem(string backendName)
    {
        using var backend = Create(backendName);
        const int outF = 130, inF = 200;
        var codes = Enumerable.Repeat((byte)0x38, outF * inF).ToArray();
        var w = LinearWeight.FromFp8("w", codes, [0.5f, 0.25f, 1f, 0.5f], outF, inF);
        var x = Enumerable.Repeat(1f, 2 * inF).ToArray();
        var y = new float[2 * outF];
        backend.Linear(w, x, 2, y);
        for (var r = 0; r < 2; r++)
        {
            for (var n = 0; n < outF; n++) Assert.Equal(n < 128 ? 82f : 164f, y[r * outF + n]);
        }
    }

    private static IBackend Create(string name) => name switch
    {
        "scalar" => new ScalarBackend(),
        "cpu-scalar" => new CpuBackend(2, SimdPath.Scalar),
        "cpu-256" => new CpuBackend(2, SimdPath.Vector256),
        _ => new CpuBackend(2, SimdPath.Vector512),
    };
}
