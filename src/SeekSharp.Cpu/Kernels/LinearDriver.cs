using System.Runtime.CompilerServices;

namespace SeekSharp.Cpu.Kernels;

/// <summary>Blocking constants shared by every instantiation of <see cref="LinearDriver{TVec, TW}"/>.</summary>
internal static class LinearDriver
{
    /// <summary>K block of the FP8 scales (and of the decoded weight tiles for every dtype).</summary>
    public const int Block = 128;

    /// <summary>Weight rows decoded together in the prefill path (divides 128, so a tile shares one scale row).</summary>
    public const int TileRows = 8;

    /// <summary>Activation rows a decoded weight tile is reused for before the next tile is decoded.</summary>
    public const int PanelRows = 64;
}

/// <summary>
/// y[r, n] for output rows n in [n0, n1) — the unit of work one chunk of the pool runs — written once against
/// the register type TVec and weight format TW. FP8 follows the reference fp8_gemm: per 128-wide K block an
/// fp32 partial Σ a8·w8 (exact products; the order inside a block is the lane order of
/// <see cref="DotKernels{TVec}"/>), then acc += partial · (aScale · wScale), K blocks in ascending order.
/// BF16 / F32: one fp32 sum over K (decode path) or per-block partials added in ascending order (prefill).
/// </summary>
internal static unsafe class LinearDriver<TVec, TW>
    where TVec : unmanaged, ISimdFloat<TVec>
    where TW : unmanaged, IWeightFormat
{
    private const int Block = LinearDriver.Block;
    private const int TileRows = LinearDriver.TileRows;
    private const int PanelRows = LinearDriver.PanelRows;

    /// <summary>
    /// Decode (one activation row, memory-bound): each weight row is streamed once and decoded in registers
    /// straight into the FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no tier-0 code
    public static void SingleRow(LinearProblem p, int n0, int n1)
    {
        var kBlocks = p.KBlocks;
        var fullBlocks = p.In / Block;
        var a = p.Activations;                                                   // [In]
        var partials = stackalloc float[4];
        for (var n = n0; n < n1; n++)
        {
            var row = WeightRow(p, n);
            if (!TW.IsBlockScaled)
            {
                p.Output[n] = DotKernels<TVec>.Dot<TW>(row, a, p.In);
                continue;
            }
            var wScales = p.WeightScales + (n / Block) * kBlocks;                // [kBlocks]
            var acc = 0f;
            var kb = 0;
            for (; kb + 4 <= fullBlocks; kb += 4)
            {
                DotKernels<TVec>.Dot4Blocks<TW>(Offset(row, kb * Block), a + kb * Block, partials);
                for (var q = 0; q < 4; q++) acc += partials[q] * (p.ActivationScales[kb + q] * wScales[kb + q]);
            }
            for (; kb < kBlocks; kb++)
            {
                var k0 = kb * Block;
                var partial = DotKernels<TVec>.Dot<TW>(Offset(row, k0), a + k0, Math.Min(Block, p.In - k0));
                acc += partial * (p.ActivationScales[kb] * wScales[kb]);
            }
            p.Output[n] = acc;
        }
    }

    /// <summary>
    /// Prefill (several activation rows, compute-bound): a tile of <see cref="LinearDriver.TileRows"/> weight
    /// rows × one K block is decoded once into an L1-resident fp32 buffer and multiplied with up to
    /// <see cref="LinearDriver.PanelRows"/> activation rows by a 2×4 register-blocked micro-kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tiled(LinearProblem p, int n0, int n1)
    {
        var kBlocks = p.KBlocks;
        var inF = p.In;
        var decoded = stackalloc float[TileRows * Block];   // [TileRows, Block]
        var acc = stackalloc float[TileRows * PanelRows];    // [TileRows, PanelRows]
        var wScale = stackalloc float[TileRows];
        var partials = stackalloc float[8];
        for (var r0 = 0; r0 < p.Rows; r0 += PanelRows)
        {
            var panel = Math.Min(PanelRows, p.Rows - r0);
            for (var nt = n0; nt < n1; nt += TileRows)
            {
                var tile = Math.Min(TileRows, n1 - nt);
                new Span<float>(acc, TileRows * PanelRows).Clear();
                for (var kb = 0; kb < kBlocks; kb++)
                {
                    var k0 = kb * Block;
                    var width = Math.Min(Block, inF - k0);
                    float* w;                                        // [tile, width] with row stride wStride
                    nint wStride;
                    if (TW.IsFloat)
                    {
                        w = (float*)WeightRow(p, nt) + k0;
                        wStride = inF;
                    }
                    else
                    {
                        for (var j = 0; j < tile; j++)
                            DotKernels<TVec>.Decode<TW>(Offset(WeightRow(p, nt + j), k0), decoded + j * Block, width);
                        w = decoded;
                        wStride = Block;
                    }
                    for (var j = 0; j < tile; j++)
                        wScale[j] = TW.IsBlockScaled ? p.WeightScales[(nt + j) / Block * kBlocks + kb] : 1f;

                    var a = p.Activations + (long)r0 * inF + k0;      // [panel, width] with row stride In
                    var aScales = p.ActivationScales + (long)r0 * kBlocks + kb; // [panel] with stride kBlocks
                    for (var r = 0; r < panel; r += 4)
                    {
                        // Past the last row (and weight row) the kernel reruns the last one; those results are dropped.
                        var rows = Math.Min(4, panel - r);
                        var a0 = a + (long)r * inF;
                        var a1 = a + (long)(r + Math.Min(1, rows - 1)) * inF;
                        var a2 = a + (long)(r + Math.Min(2, rows - 1)) * inF;
                        var a3 = a + (long)(r + Math.Min(3, rows - 1)) * inF;
                        for (var j = 0; j < tile; j += 2)
                        {
                            var pair = Math.Min(2, tile - j);
                            DotKernels<TVec>.Dot2x4(w + j * wStride, w + (j + pair - 1) * wStride, a0, a1, a2, a3, width, partials);
                            for (var q = 0; q < rows; q++)
                            {
                                Accumulate(acc, j, r + q, partials[q], aScales, kBlocks, wScale);
                                if (pair == 2) Accumulate(acc, j + 1, r + q, partials[4 + q], aScales, kBlocks, wScale);
                            }
                        }
                    }
                }
                for (var r = 0; r < panel; r++)
                {
                    var y = p.Output + (long)(r0 + r) * p.Out + nt;
                    for (var j = 0; j < tile; j++) y[j] = acc[j * PanelRows + r];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(float* acc, int j, int r, float partial, float* aScales, int kBlocks, float* wScale)
    {
        if (TW.IsBlockScaled) acc[j * PanelRows + r] += partial * (aScales[(long)r * kBlocks] * wScale[j]);
        else acc[j * PanelRows + r] += partial;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void* WeightRow(in LinearProblem p, int n) => (byte*)p.Weight + (long)n * p.In * TW.ElementSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void* Offset(void* row, int k) => (byte*)row + (long)k * TW.ElementSize;
}
