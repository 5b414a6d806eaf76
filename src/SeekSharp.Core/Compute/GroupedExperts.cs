namespace SeekSharp.Core.Compute;

/// <summary>
/// The routed experts of one MoE layer, made ready by a device for <see cref="IComputeDevice.MoeExperts"/> (the CUDA
/// device keeps a table of their weight addresses in GPU memory). Created by <see cref="IComputeDevice.GroupExperts"/>;
/// the expert weights themselves stay owned by whoever uploaded them, so this must be disposed before they are.
/// </summary>
public abstract class GroupedExperts(int count, int hidden, int inner) : IDisposable
{
    /// <summary>Number of routed experts (ids 0 .. Count-1).</summary>
    public int Count { get; } = count;

    /// <summary>Model width: gate/up In, down Out.</summary>
    public int Hidden { get; } = hidden;

    /// <summary>Expert width: gate/up Out, down In.</summary>
    public int Inner { get; } = inner;

    public abstract void Dispose();
}
