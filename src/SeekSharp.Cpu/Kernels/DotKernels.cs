using System.Runtime.CompilerServices;

namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// The inner loops, generic over the register type TVec and the weight format TW. Summation order (fp32 is
/// not associative, so it is stated): products go to lane i mod Count of a register accumulator in ascending
/// i; <see cref="Dot{TW}"/> spreads consecutive registers over four accumulators, adds them and reduces across
/// lanes, then adds the scalar tail in order; <see cref="Dot4Blocks{TW}"/> and <see cref="Dot2x4"/> keep one
/// accumulator per output and reduce four at a time. The reduction order across lanes is fixed per register type.
/// </summary>
internal static unsafe class DotKernels<TVec> where TVec : unmanaged, ISimdFloat<TVec>
{
    /// <summary>Σ_i fp32(w[i])·a[i] for i &lt; length, decoding w on the fly (the decode path, one activation row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TW>(void* w, float* a, int length) where TW : unmanaged, IWeightFormat
    {
        var step = TVec.Count;
        TVec acc0 = TVec.Zero, acc1 = TVec.Zero, acc2 = TVec.Zero, acc3 = TVec.Zero;
        var i = 0;
        for (; i <= length - 4 * step; i += 4 * step)
        {
            TW.Load4<TVec>(w, i, out var w0, out var w1, out var w2, out var w3);
            acc0 = TVec.MultiplyAdd(w0, TVec.Load(a + i), acc0);
            acc1 = TVec.MultiplyAdd(w1, TVec.Load(a + i + step), acc1);
            acc2 = TVec.MultiplyAdd(w2, TVec.Load(a + i + 2 * step), acc2);
            acc3 = TVec.MultiplyAdd(w3, TVec.Load(a + i + 3 * step), acc3);
        }
        for (; i <= length - step; i += step) acc0 = TVec.MultiplyAdd(TW.Load<TVec>(w, i), TVec.Load(a + i), acc0);
        var sum = TVec.Sum(TVec.Add(TVec.Add(acc0, acc1), TVec.Add(acc2, acc3)));
        for (; i < length; i++) sum += TW.LoadScalar(w, i) * a[i];
        return sum;
    }

    /// <summary>
    /// The block-scaled decode path: partials[b] = Σ_{i &lt; 128} fp32(w[128·b + i])·a[128·b + i] for four
    /// consecutive full 128-wide blocks. One accumulator per block (16 registers' worth of products each, in
    /// ascending order per lane), the four interleaved so their FMA chains overlap, and one transposing reduction
    /// for all four instead of a horizontal sum per block — about twice the throughput of four
    /// <see cref="Dot{TW}"/> calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4Blocks<TW>(void* w, float* a, float* partials) where TW : unmanaged, IWeightFormat
    {
        const int block = LinearDriver.Block;
        TVec b0 = TVec.Zero, b1 = TVec.Zero, b2 = TVec.Zero, b3 = TVec.Zero;
        for (var i = 0; i < block; i += 4 * TVec.Count)
        {
            b0 = FourProducts<TW>(w, a, i, b0);
            b1 = FourProducts<TW>(w, a, block + i, b1);
            b2 = FourProducts<TW>(w, a, 2 * block + i, b2);
            b3 = FourProducts<TW>(w, a, 3 * block + i, b3);
        }
        TVec.Sum4(b0, b1, b2, b3, partials);
    }

    /// <summary>acc + Σ of the products of 4·Count weights and activations from index i, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec FourProducts<TW>(void* w, float* a, int i, TVec acc) where TW : unmanaged, IWeightFormat
    {
        var step = TVec.Count;
        TW.Load4<TVec>(w, i, out var w0, out var w1, out var w2, out var w3);
        acc = TVec.MultiplyAdd(w0, TVec.Load(a + i), acc);
        acc = TVec.MultiplyAdd(w1, TVec.Load(a + i + step), acc);
        acc = TVec.MultiplyAdd(w2, TVec.Load(a + i + 2 * step), acc);
        return TVec.MultiplyAdd(w3, TVec.Load(a + i + 3 * step), acc);
    }

    /// <summary>destination[i] = fp32(w[i]) for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<TW>(void* w, float* destination, int length) where TW : unmanaged, IWeightFormat
    {
        var step = TVec.Count;
        var i = 0;
        for (; i <= length - 4 * step; i += 4 * step)
        {
            TW.Load4<TVec>(w, i, out var w0, out var w1, out var w2, out var w3);
            TVec.Store(destination + i, w0);
            TVec.Store(destination + i + step, w1);
            TVec.Store(destination + i + 2 * step, w2);
            TVec.Store(destination + i + 3 * step, w3);
        }
        for (; i <= length - step; i += step) TVec.Store(destination + i, TW.Load<TVec>(w, i));
        for (; i < length; i++) destination[i] = TW.LoadScalar(w, i);
    }

    /// <summary>
    /// The prefill micro-kernel: two fp32 weight rows w0, w1 against four activation rows a0..a3, eight
    /// accumulators sharing every load. partials = [w0·a0, w0·a1, w0·a2, w0·a3, w1·a0, w1·a1, w1·a2, w1·a3].
    /// Callers with fewer rows repeat a pointer and ignore the duplicate results (cheaper than narrower kernels
    /// that reduce across lanes more often).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2x4(float* w0, float* w1, float* a0, float* a1, float* a2, float* a3, int length, float* partials)
    {
        var step = TVec.Count;
        TVec c00 = TVec.Zero, c01 = TVec.Zero, c02 = TVec.Zero, c03 = TVec.Zero;
        TVec c10 = TVec.Zero, c11 = TVec.Zero, c12 = TVec.Zero, c13 = TVec.Zero;
        var i = 0;
        for (; i <= length - step; i += step)
        {
            var x0 = TVec.Load(w0 + i);
            var x1 = TVec.Load(w1 + i);
            var y = TVec.Load(a0 + i);
            c00 = TVec.MultiplyAdd(x0, y, c00);
            c10 = TVec.MultiplyAdd(x1, y, c10);
            y = TVec.Load(a1 + i);
            c01 = TVec.MultiplyAdd(x0, y, c01);
            c11 = TVec.MultiplyAdd(x1, y, c11);
            y = TVec.Load(a2 + i);
            c02 = TVec.MultiplyAdd(x0, y, c02);
            c12 = TVec.MultiplyAdd(x1, y, c12);
            y = TVec.Load(a3 + i);
            c03 = TVec.MultiplyAdd(x0, y, c03);
            c13 = TVec.MultiplyAdd(x1, y, c13);
        }
        TVec.Sum4(c00, c01, c02, c03, partials);
        TVec.Sum4(c10, c11, c12, c13, partials + 4);
        for (; i < length; i++)
        {
            partials[0] += w0[i] * a0[i];
            partials[1] += w0[i] * a1[i];
            partials[2] += w0[i] * a2[i];
            partials[3] += w0[i] * a3[i];
            partials[4] += w1[i] * a0[i];
            partials[5] += w1[i] * a1[i];
            partials[6] += w1[i] * a2[i];
            partials[7] += w1[i] * a3[i];
        }
    }
}
