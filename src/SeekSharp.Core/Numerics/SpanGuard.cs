namespace SeekSharp.Core.Numerics;

/// <summary>Argument checks shared by the numerics kernels (lengths are validated once, up front).</summary>
internal static class SpanGuard
{
    public static void AtLeast(int actual, long required, string name)
    {
        if (actual < required)
            throw new ArgumentException($"{name} has {actual} elements, needs at least {required}", name);
    }

    public static void SameLength(int a, int b, string nameA, string nameB)
    {
        if (a != b)
            throw new ArgumentException($"{nameA} ({a}) and {nameB} ({b}) must have the same length", nameB);
    }

    public static void Positive(int value, string name) => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);

    public static void NonNegative(int value, string name) => ArgumentOutOfRangeException.ThrowIfNegative(value, name);

    /// <summary>ceil(a / b) for non-negative a and positive b.</summary>
    public static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
