using SeekSharp.Core.Backend;

namespace SeekSharp.Core.Compute.Host;

/// <summary>A host weight used in place (no copy): the CPU device computes straight from the mapped checkpoint.</summary>
public sealed class HostLinear(LinearWeight weight) : DeviceLinear(weight.Name, weight.DType, weight.Out, weight.In)
{
    public LinearWeight Weight { get; } = weight;

    public override void Dispose() { }
}
