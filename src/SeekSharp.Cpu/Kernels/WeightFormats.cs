using System.Runtime.CompilerServices;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Cpu.Kernels;

/// <summary>How the kernels read one element type of W, as an operator struct (one instantiation per dtype).</summary>
internal unsafe interface IWeightFormat
{
    /// <summary>True for F8E4M3: partial sums are per 128-wide K block and scaled by a8 and w8 block scales.</summary>
    static abstract bool IsBlockScaled { get; }

    /// <summary>True for F32: the weights are already fp32 and are read in place, never decoded.</summary>
    static abstract bool IsFloat { get; }

    /// <summary>Bytes per element of W.</summary>
    static abstract int ElementSize { get; }

    /// <summary>TVec.Count elements starting at row[index], as fp32.</summary>
    static abstract TVec Load<TVec>(void* row, int index) where TVec : unmanaged, ISimdFloat<TVec>;

    /// <summary>4·TVec.Count elements starting at row[index], as fp32, in four registers.</summary>
    static abstract void Load4<TVec>(void* row, int index, out TVec v0, out TVec v1, out TVec v2, out TVec v3)
        where TVec : unmanaged, ISimdFloat<TVec>;

    /// <summary>The element row[index] as fp32 (the same values as <see cref="Load{TVec}"/>).</summary>
    static abstract float LoadScalar(void* row, int index);
}

internal readonly unsafe struct Fp8Format : IWeightFormat
{
    public static bool IsBlockScaled => true;

    public static bool IsFloat => false;

    public static int ElementSize => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TVec>(void* row, int index) where TVec : unmanaged, ISimdFloat<TVec> =>
        TVec.LoadFp8((byte*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4<TVec>(void* row, int index, out TVec v0, out TVec v1, out TVec v2, out TVec v3)
        where TVec : unmanaged, ISimdFloat<TVec> => TVec.LoadFp8x4((byte*)row + index, out v0, out v1, out v2, out v3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(void* row, int index) => Fp8Decode.ToFloat(((byte*)row)[index]);
}

internal readonly unsafe struct Bf16Format : IWeightFormat
{
    public static bool IsBlockScaled => false;

    public static bool IsFloat => false;

    public static int ElementSize => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TVec>(void* row, int index) where TVec : unmanaged, ISimdFloat<TVec> =>
        TVec.LoadBf16((ushort*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4<TVec>(void* row, int index, out TVec v0, out TVec v1, out TVec v2, out TVec v3)
        where TVec : unmanaged, ISimdFloat<TVec>
    {
        v0 = Load<TVec>(row, index);
        v1 = Load<TVec>(row, index + TVec.Count);
        v2 = Load<TVec>(row, index + 2 * TVec.Count);
        v3 = Load<TVec>(row, index + 3 * TVec.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(void* row, int index) => BFloat16Math.ToFloat(((ushort*)row)[index]);
}

internal readonly unsafe struct F32Format : IWeightFormat
{
    public static bool IsBlockScaled => false;

    public static bool IsFloat => true;

    public static int ElementSize => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TVec>(void* row, int index) where TVec : unmanaged, ISimdFloat<TVec> =>
        TVec.Load((float*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4<TVec>(void* row, int index, out TVec v0, out TVec v1, out TVec v2, out TVec v3)
        where TVec : unmanaged, ISimdFloat<TVec>
    {
        v0 = Load<TVec>(row, index);
        v1 = Load<TVec>(row, index + TVec.Count);
        v2 = Load<TVec>(row, index + 2 * TVec.Count);
        v3 = Load<TVec>(row, index + 3 * TVec.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(void* row, int index) => ((float*)row)[index];
}
