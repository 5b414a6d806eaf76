using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// SIMD bodies of the bulk bf16 conversions. Each processes the largest prefix that fills whole vectors and
/// returns how many elements it handled; the caller finishes with the scalar path. They are the same integer
/// bit tricks as the scalar code, so results are bit-identical. Vector512 code also runs (in software) where
/// AVX-512 is missing, which lets the tests exercise both widths anywhere.
/// </summary>
public static partial class BFloat16Math
{
    internal static int ToFloatVector256(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        var count = src.Length - src.Length % Vector256<ushort>.Count;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        for (var i = 0; i < count; i += Vector256<ushort>.Count)
        {
            var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
            (lower << 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            (upper << 16).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector256<uint>.Count));
        }
        return count;
    }

    internal static int ToFloatVector512(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        var count = src.Length - src.Length % Vector512<ushort>.Count;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        for (var i = 0; i < count; i += Vector512<ushort>.Count)
        {
            var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref s, (nuint)i));
            (lower << 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            (upper << 16).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector512<uint>.Count));
        }
        return count;
    }

    internal static int FromFloatVector256(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        var count = src.Length - src.Length % Vector256<ushort>.Count;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        for (var i = 0; i < count; i += Vector256<ushort>.Count)
        {
            var lower = UpperHalfRounded(Vector256.LoadUnsafe(ref s, (nuint)i));
            var upper = UpperHalfRounded(Vector256.LoadUnsafe(ref s, (nuint)(i + Vector256<float>.Count)));
            Vector256.Narrow(lower, upper).StoreUnsafe(ref d, (nuint)i);
        }
        return count;
    }

    internal static int FromFloatVector512(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        var count = src.Length - src.Length % Vector512<ushort>.Count;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        for (var i = 0; i < count; i += Vector512<ushort>.Count)
        {
            var lower = UpperHalfRounded(Vector512.LoadUnsafe(ref s, (nuint)i));
            var upper = UpperHalfRounded(Vector512.LoadUnsafe(ref s, (nuint)(i + Vector512<float>.Count)));
            Vector512.Narrow(lower, upper).StoreUnsafe(ref d, (nuint)i);
        }
        return count;
    }

    internal static int RoundInPlaceVector256(Span<float> x)
    {
        var count = x.Length - x.Length % Vector256<float>.Count;
        ref var p = ref MemoryMarshal.GetReference(x);
        for (var i = 0; i < count; i += Vector256<float>.Count)
        {
            var rounded = UpperHalfRounded(Vector256.LoadUnsafe(ref p, (nuint)i)) << 16;
            rounded.AsSingle().StoreUnsafe(ref p, (nuint)i);
        }
        return count;
    }

    internal static int RoundInPlaceVector512(Span<float> x)
    {
        var count = x.Length - x.Length % Vector512<float>.Count;
        ref var p = ref MemoryMarshal.GetReference(x);
        for (var i = 0; i < count; i += Vector512<float>.Count)
        {
            var rounded = UpperHalfRounded(Vector512.LoadUnsafe(ref p, (nuint)i)) << 16;
            rounded.AsSingle().StoreUnsafe(ref p, (nuint)i);
        }
        return count;
    }

    /// <summary>Per lane: the bf16 bits (in the low 16 bits of a uint lane) of the RNE rounding; NaN → 0x7FC0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> UpperHalfRounded(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        var isNumber = Vector256.Equals(x, x).AsUInt32(); // all ones unless NaN
        return Vector256.ConditionalSelect(isNumber, rounded, Vector256.Create((uint)CanonicalNaN));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> UpperHalfRounded(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var isNumber = Vector512.Equals(x, x).AsUInt32();
        return Vector512.ConditionalSelect(isNumber, rounded, Vector512.Create((uint)CanonicalNaN));
    }
}
