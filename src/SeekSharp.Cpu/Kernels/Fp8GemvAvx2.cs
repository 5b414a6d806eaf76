using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// The FP8 decode GEMV (one activation row) on AVX2: y[n] for n in [n0, n1) with the weights widened by
/// <see cref="Fp8LaneDecodeAvx2"/> and the activations laid out by <see cref="Fp8DecodeActivations"/>.
/// Per 128-wide K block: partial = Σ a8·w8 / 2 (exact products; per block two accumulators, even and odd
/// lane-order registers, added and reduced across lanes at the end of the block), then, K blocks in
/// ascending order, acc += partial · (2·aScale · wScale) — the reference fp8_gemm's formula.
/// </summary>
internal static unsafe class Fp8GemvAvx2
{
    private const int Block = LinearDriver.Block;
    private const int Group = Fp8LaneDecodeAvx2.Group;

    /// <summary>
    /// Bytes ahead of the current 512-byte step that are prefetched: the loop is close to compute-bound, so
    /// the hardware prefetcher alone lets DRAM latency show; 4 KB measured ~10 % better over 384 MB of distinct
    /// expert matrices (1 KB and 8 KB within noise of it). Past a chunk's end it touches the next chunk's rows.
    /// </summary>
    private const int PrefetchDistance = 4096;

    /// <param name="p">Activations / ActivationScales as <see cref="Fp8DecodeActivations.Prepare"/> wrote them; Rows = 1.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no tier-0 code
    public static void Rows(LinearProblem p, int n0, int n1)
    {
        var inF = p.In;
        var kBlocks = p.KBlocks;
        var fullBlocks = inF / Block;
        var a = p.Activations;
        var aScales = p.ActivationScales;
        var partials = stackalloc float[4];
        for (var n = n0; n < n1; n++)
        {
            var row = (byte*)p.Weight + (long)n * inF;
            var wScales = p.WeightScales + (n / Block) * kBlocks;
            var acc = 0f;
            var kb = 0;
            for (; kb + 4 <= fullBlocks; kb += 4)
            {
                var ahead = row + kb * Block + PrefetchDistance;
                for (var line = 0; line < 4 * Block; line += 64) Sse.Prefetch0(ahead + line);
                FourBlocks(row + kb * Block, a + kb * Block, partials);
                for (var q = 0; q < 4; q++) acc += partials[q] * (aScales[kb + q] * wScales[kb + q]);
            }
            for (; kb < kBlocks; kb++)
            {
                var k0 = kb * Block;
                acc += OneBlock(row + k0, a + k0, Math.Min(Block, inF - k0)) * (aScales[kb] * wScales[kb]);
            }
            p.Output[n] = acc;
        }
    }

    /// <summary>partials[b] for four consecutive full blocks, interleaved so eight FMA chains overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourBlocks(byte* w, float* a, float* partials)
    {
        Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default;
        Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default;
        for (var i = 0; i < Block; i += Group)
        {
            Products(w + i, a + i, ref e0, ref o0);
            Products(w + Block + i, a + Block + i, ref e1, ref o1);
            Products(w + 2 * Block + i, a + 2 * Block + i, ref e2, ref o2);
            Products(w + 3 * Block + i, a + 3 * Block + i, ref e3, ref o3);
        }
        Vector256Float.Sum4(e0 + o0, e1 + o1, e2 + o2, e3 + o3, partials);
    }

    /// <summary>One block of any width ≤ 128: whole 32-code groups vectorised, then the scalar tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float OneBlock(byte* w, float* a, int width)
    {
        Vector256<float> even = default, odd = default;
        var i = 0;
        for (; i + Group <= width; i += Group) Products(w + i, a + i, ref even, ref odd);
        var sum = Vector256Float.Sum(even + odd);
        for (; i < width; i++) sum += Fp8Decode.ToFloat(w[i]) * a[i];
        return sum;
    }

    /// <summary>The 32 products of one code group: registers 0, 2 into <paramref name="even"/>, 1, 3 into <paramref name="odd"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Products(byte* w, float* a, ref Vector256<float> even, ref Vector256<float> odd)
    {
        Fp8LaneDecodeAvx2.Decode32(Vector256.Load(w), out var v0, out var v1, out var v2, out var v3);
        even = Vector256.MultiplyAddEstimate(v0, Vector256.Load(a), even);
        odd = Vector256.MultiplyAddEstimate(v1, Vector256.Load(a + 8), odd);
        even = Vector256.MultiplyAddEstimate(v2, Vector256.Load(a + 16), even);
        odd = Vector256.MultiplyAddEstimate(v3, Vector256.Load(a + 24), odd);
    }
}
