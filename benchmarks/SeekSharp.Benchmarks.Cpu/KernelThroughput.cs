using System.Diagnostics;
using SeekSharp.Cpu.Kernels;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>
/// Single-thread compute throughput of the fused decode+dot kernels on cache-resident weights (no memory
/// bottleneck): how many weight elements per nanosecond one core can decode and multiply.
/// </summary>
internal static unsafe class KernelThroughput
{
    public static void Run()
    {
        const int rows = 32, cols = 7168; // 224 KB of fp8: stays in L2
        var codes = GC.AllocateArray<byte>(rows * cols, pinned: true);
        GemvCase.Fp8Codes(new Random(1), codes.Length).CopyTo(codes, 0);
        var bf16 = GC.AllocateArray<ushort>(rows * cols, pinned: true);
        for (var i = 0; i < bf16.Length; i++) bf16[i] = (ushort)(0x3F80 + (i & 0x7F));
        var a = GC.AllocateArray<float>(cols, pinned: true);
        a.AsSpan().Fill(0.5f);
        fixed (byte* w8 = codes)
        fixed (ushort* w16 = bf16)
        fixed (float* x = a)
        {
            var w8p = w8;
            var w16p = w16;
            var xp = x;
            Report("fp8  Vector256 (per 128 block)", rows * cols, () => Fp8Blocks<Vector256Float>(w8p, xp, rows, cols));
            Report("fp8  Vector256 (4 blocks at once)", rows * cols, () => Fp8FourBlocks<Vector256Float>(w8p, xp, rows, cols));
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
                Report("fp8  AVX2 lane decode (GEMV rows)", rows * cols, () => Fp8LaneGemv(w8p, xp, rows, cols));
            Report("fp8  Scalar    (per 128 block)", rows * cols, () => Fp8Blocks<ScalarFloat>(w8p, xp, rows, cols));
            Report("bf16 Vector256 (whole row)", rows * cols, () => Bf16Rows<Vector256Float>(w16p, xp, rows, cols));
            Report("bf16 Vector256 (per 128 block)", rows * cols, () => Bf16Blocks<Vector256Float>(w16p, xp, rows, cols));
        }
        foreach (var activationRows in new[] { 2, 4, 16, 64 })
        {
            Report($"fp8  Vector256 tiled x{activationRows} (MACs)", (long)rows * cols * activationRows,
                () => Tiled<Fp8Format>(codes, rows, cols, activationRows));
        }
    }

    /// <summary>The prefill driver over cache-resident weights; activations are all 0.5 with scale 1.</summary>
    private static float Tiled<TW>(Array weights, int rows, int cols, int activationRows) where TW : unmanaged, IWeightFormat
    {
        var kBlocks = (cols + 127) / 128;
        var a = t_activations ??= GC.AllocateArray<float>(64 * 7168, pinned: true);
        var scales = t_scales ??= Enumerable.Repeat(1f, 64 * 64).ToArray();
        var y = t_output ??= new float[64 * 64];
        if (a[0] == 0) a.AsSpan().Fill(0.5f);
        fixed (float* pa = a, ps = scales, py = y)
        {
            var handle = System.Runtime.InteropServices.GCHandle.Alloc(weights, System.Runtime.InteropServices.GCHandleType.Pinned);
            try
            {
                LinearDriver<Vector256Float, TW>.Tiled(new LinearProblem
                {
                    Weight = (void*)handle.AddrOfPinnedObject(), WeightScales = ps, Out = rows, In = cols,
                    Activations = pa, ActivationScales = ps, Output = py, Rows = activationRows,
                }, 0, rows);
            }
            finally { handle.Free(); }
        }
        _ = kBlocks;
        return y[0];
    }

    [ThreadStatic] private static float[]? t_activations;
    [ThreadStatic] private static float[]? t_scales;
    [ThreadStatic] private static float[]? t_output;

    private static float Fp8Blocks<TVec>(byte* w, float* a, int rows, int cols) where TVec : unmanaged, ISimdFloat<TVec>
    {
        var total = 0f;
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols; k += 128) total += DotKernels<TVec>.Dot<Fp8Format>(w + (long)r * cols + k, a + k, 128);
        }
        return total;
    }

    private static float Fp8FourBlocks<TVec>(byte* w, float* a, int rows, int cols) where TVec : unmanaged, ISimdFloat<TVec>
    {
        var total = 0f;
        var partials = stackalloc float[4];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols; k += 512)
            {
                DotKernels<TVec>.Dot4Blocks<Fp8Format>(w + (long)r * cols + k, a + k, partials);
                total += partials[0] + partials[1] + partials[2] + partials[3];
            }
        }
        return total;
    }

    /// <summary>The AVX2 decode-path kernel over all rows (activations used as laid out, scales 1).</summary>
    private static float Fp8LaneGemv(byte* w, float* a, int rows, int cols)
    {
        var kBlocks = (cols + 127) / 128;
        var scales = stackalloc float[rows * kBlocks];
        new Span<float>(scales, rows * kBlocks).Fill(1f);
        var y = stackalloc float[rows];
        Fp8GemvAvx2.Rows(new LinearProblem
        {
            Weight = w, WeightScales = scales, Out = rows, In = cols,
            Activations = a, ActivationScales = scales, Output = y, Rows = 1,
        }, 0, rows);
        return y[0];
    }

    private static float Bf16Blocks<TVec>(ushort* w, float* a, int rows, int cols) where TVec : unmanaged, ISimdFloat<TVec>
    {
        var total = 0f;
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols; k += 128) total += DotKernels<TVec>.Dot<Bf16Format>(w + (long)r * cols + k, a + k, 128);
        }
        return total;
    }

    private static float Bf16Rows<TVec>(ushort* w, float* a, int rows, int cols) where TVec : unmanaged, ISimdFloat<TVec>
    {
        var total = 0f;
        for (var r = 0; r < rows; r++) total += DotKernels<TVec>.Dot<Bf16Format>(w + (long)r * cols, a, cols);
        return total;
    }

    private static void Report(string name, long elements, Func<float> pass)
    {
        for (var i = 0; i < 20; i++) pass();
        var best = double.MaxValue;
        for (var trial = 0; trial < 30; trial++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 10; i++) pass();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / 10);
        }
        Console.WriteLine($"{name,-34} {elements / best / 1e9,6:F2} G elements/s (or MAC/s) on one core");
    }
}
