namespace SeekSharp.Cuda.Runtime;

/// <summary>A grid or block size, as in CUDA's dim3.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>ceil(n / per), the number of blocks covering n items with per items per block.</summary>
    public static uint Blocks(long n, int per) => checked((uint)((n + per - 1) / per));

    public override string ToString() => $"({X}, {Y}, {Z})";
}
