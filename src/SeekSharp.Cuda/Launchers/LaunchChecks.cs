using System.Numerics;
using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Argument checks every launcher runs before queueing a kernel: a bad shape must fail here with a message naming the
/// op and the argument, not as a device fault later. Each returns the buffer as a <see cref="CudaBuffer"/>.
/// </summary>
public static class LaunchChecks
{
    /// <summary>The buffer is ours, alive, of <paramref name="dtype"/>, and holds at least <paramref name="elements"/>.</summary>
    public static CudaBuffer Buffer(DeviceBuffer? buffer, DType dtype, long elements, string op, string argument)
    {
        if (buffer is null) throw new ArgumentNullException(argument, $"{op}: {argument} is null");
        if (buffer is not CudaBuffer cuda) throw new ArgumentException($"{op}: {argument} {buffer} does not belong to the CUDA device", argument);
        ObjectDisposedException.ThrowIf(cuda.IsDisposed, cuda);
        if (!SameType(cuda.DType, dtype)) throw new ArgumentException($"{op}: {argument} must be {dtype}, not {cuda.DType}", argument);
        if (elements < 0 || cuda.Length < elements)
            throw new ArgumentException($"{op}: {argument} has {cuda.Length} elements, needs {elements}", argument);
        return cuda;
    }

    /// <summary>The view lies inside its buffer, which is ours and of <paramref name="dtype"/>.</summary>
    public static CudaBuffer View(MatrixView view, DType dtype, string op, string argument)
    {
        view.Validate($"{op} {argument}");
        return Buffer(view.Buffer, dtype, view.End, op, argument);
    }

    public static void Positive(long value, string op, string argument)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(argument, value, $"{op}: {argument} must be positive");
    }

    public static void NonNegative(long value, string op, string argument)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(argument, value, $"{op}: {argument} must not be negative");
    }

    public static void PowerOfTwoAtMost(int value, int max, string op, string argument)
    {
        if (value <= 0 || value > max || !BitOperations.IsPow2(value))
            throw new ArgumentOutOfRangeException(argument, value, $"{op}: {argument} must be a power of two ≤ {max}");
    }

    public static void That(bool condition, string op, string message)
    {
        if (!condition) throw new ArgumentException($"{op}: {message}");
    }

    // U8 and F8E4M3 are both one-byte codes: an FP8 cache may be declared either way.
    private static bool SameType(DType actual, DType expected) =>
        actual == expected || (actual is DType.U8 or DType.F8E4M3 && expected is DType.U8 or DType.F8E4M3);
}
