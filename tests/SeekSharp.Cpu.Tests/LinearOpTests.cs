using SeekSharp.Core;
using SeekSharp.Core.Backend;

namespace SeekSharp.Cpu.Tests;

/// <summary>
/// CpuBackend against the ScalarBackend oracle for every dtype and register width. The only allowed difference
/// is fp32 summation order, so the criterion is max|Δ| ≤ 1e-5 · max(1, max|ref|).
/// </summary>
public class LinearOpTests
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<DType, SimdPath, int, int, int> Shapes()
    {
        var data = new TheoryData<DType, SimdPath, int, int, int>();
        (int Out, int In, int Rows)[] shapes =
        [
            (192, 256, 1),   // partial 128-row scale block
            (192, 256, 3),
            (192, 256, 17),
            (576, 896, 1),   // kv_a-like (576 × 7168 scaled down in K)
            (576, 896, 4),
            (256, 448, 64),  // one full activation panel
            (200, 300, 1),   // In and Out not multiples of 128 or of any vector width
            (200, 300, 5),
            (37, 136, 3),    // odd Out: the tile's single-row tail
            (24, 40, 300),   // more rows than one slab (256) and one panel (64)
            (40, 264, 67),   // a 64-row panel plus 3 rows; last K block one vector wide
            (48, 616, 1),    // decode: one 4-block group, then a 104-wide block (three 32-code groups + 8)
            (64, 1160, 1),   // two 4-block groups of the decode kernel, one full and one 8-wide leftover block
            (5, 7, 2),       // smaller than a vector
        ];
        foreach (var simd in Enum.GetValues<SimdPath>())
        {
            foreach (var dtype in new[] { DType.F8E4M3, DType.BF16, DType.F32 })
            {
                foreach (var (outF, inF, rows) in shapes)
                {
                    // Vector512 runs in software on machines without AVX-512: keep its cases small there.
                    if (simd == SimdPath.Vector512 && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated
                        && (long)outF * inF * rows > 2_000_000) continue;
                    data.Add(dtype, simd, outF, inF, rows);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesScalarBackend(DType dtype, SimdPath simd, int outFeatures, int inFeatures, int rows)
    {
        var random = new Random(HashCode.Combine((int)dtype, outFeatures, inFeatures, rows));
        var w = dtype switch
        {
            DType.F8E4M3 => RandomOperands.Fp8(random, outFeatures, inFeatures),
            DType.BF16 => RandomOperands.Bf16(random, outFeatures, inFeatures),
            _ => RandomOperands.F32(random, outFeatures, inFeatures),
        };
        var x = RandomOperands.Activations(random, rows, inFeatures);
        using var cpu = new CpuBackend(threads: 3, simd);
        AssertMatchesOracle(cpu, w, x, rows, powerOfTwoScales: true);
    }

    [Theory]
    [InlineData(SimdPath.Scalar)]
    [InlineData(SimdPath.Vector256)]
    [InlineData(SimdPath.Vector512)]
    public void Fp8WithoutPowerOfTwoActivationScalesMatches(SimdPath simd)
    {
        var random = new Random(11);
        var w = RandomOperands.Fp8(random, 160, 384);
        var x = RandomOperands.Activations(random, 6, 384);
        using var cpu = new CpuBackend(threads: 2, simd);
        AssertMatchesOracle(cpu, w, x, 6, powerOfTwoScales: false);
        AssertMatchesOracle(cpu, w, x.AsSpan(0, 384).ToArray(), 1, powerOfTwoScales: false);
    }

    [Fact]
    public void DefaultBackendUsesTheBestPathAndAllThreads()
    {
        using var cpu = new CpuBackend();
        Assert.Equal(SimdPaths.Best, cpu.Simd);
        Assert.Equal(Environment.ProcessorCount, cpu.Threads);
        var random = new Random(5);
        var w = RandomOperands.Fp8(random, 384, 512);
        AssertMatchesOracle(cpu, w, RandomOperands.Activations(random, 1, 512), 1, powerOfTwoScales: true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void ThreadCountDoesNotChangeResults(int threads)
    {
        var random = new Random(21);
        var w = RandomOperands.Fp8(random, 300, 256);
        var x = RandomOperands.Activations(random, 9, 256);
        using var single = new CpuBackend(threads: 1);
        using var many = new CpuBackend(threads);
        var expected = new float[9 * 300];
        var actual = new float[9 * 300];
        single.Linear(w, x, 9, expected);
        many.Linear(w, x, 9, actual);
        // Every output element is computed by one thread in a fixed order: bit-identical.
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void LinearCalledInsideForRunsInlineAndMatches()
    {
        var random = new Random(3);
        var w = RandomOperands.Bf16(random, 64, 128);
        var x = RandomOperands.Activations(random, 8, 128);
        using var cpu = new CpuBackend(threads: 2);
        var expected = new float[8 * 64];
        cpu.Linear(w, x, 8, expected);
        var actual = new float[8 * 64];
        cpu.For(8, (r0, r1) =>
        {
            for (var r = r0; r < r1; r++)
                cpu.Linear(w, x.AsSpan(r * 128, 128), 1, actual.AsSpan(r * 64, 64));
        });
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f * Math.Max(1f, Math.Abs(expected[i])));
    }

    [Fact]
    public void ZeroRowsWritesNothing()
    {
        using var cpu = new CpuBackend(threads: 2);
        var w = RandomOperands.Fp8(new Random(1), 8, 8);
        var y = new float[] { 42f };
        cpu.Linear(w, ReadOnlySpan<float>.Empty, 0, y);
        Assert.Equal(42f, y[0]);
    }

    internal static void AssertMatchesOracle(IBackend backend, LinearWeight w, float[] x, int rows, bool powerOfTwoScales)
    {
        var expected = new float[rows * w.Out];
        var actual = new float[rows * w.Out + 1];
        actual[^1] = 123f; // sentinel: nothing past [rows, Out] is written
        using (var oracle = new ScalarBackend()) oracle.Linear(w, x, rows, expected, powerOfTwoScales);
        backend.Linear(w, x, rows, actual, powerOfTwoScales);

        var maxRef = 0f;
        var maxDiff = 0f;
        var worst = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"y[{i}] = {actual[i]}");
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
            var diff = Math.Abs(actual[i] - expected[i]);
            if (diff > maxDiff) (maxDiff, worst) = (diff, i);
        }
        Assert.True(maxRef > 0f, "degenerate test data: all outputs zero");
        var bound = Tolerance * Math.Max(1f, maxRef);
        Assert.True(maxDiff <= bound,
            $"{backend.Name} {w}: max|Δ| = {maxDiff} at {worst} (ref {expected[worst]}, got {actual[worst]}), bound {bound}");
        Assert.Equal(123f, actual[^1]);
    }
}
