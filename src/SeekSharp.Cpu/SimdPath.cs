using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SeekSharp.Cpu;

/// <summary>Register width the CPU kernels run with.</summary>
public enum SimdPath
{
    /// <summary>One lane: portable, slow, the fallback where neither AVX2+FMA nor AVX-512 is available.</summary>
    Scalar,

    /// <summary>8 fp32 lanes (AVX2 + FMA).</summary>
    Vector256,

    /// <summary>16 fp32 lanes (AVX-512).</summary>
    Vector512,
}

/// <summary>Picks the widest path this machine runs in hardware.</summary>
public static class SimdPaths
{
    /// <summary>Vector512 when accelerated, else Vector256 when AVX2 and FMA are present, else Scalar.</summary>
    public static SimdPath Best
    {
        get
        {
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return SimdPath.Vector512;
            if (Avx2.IsSupported && Fma.IsSupported) return SimdPath.Vector256;
            return SimdPath.Scalar;
        }
    }
}
