namespace SeekSharp.Core.Compute.Lockstep;

/// <summary>A buffer of a <see cref="LockstepDevice"/>: the same tensor on the reference and on the candidate device.</summary>
internal sealed class LockstepBuffer(DeviceBuffer reference, DeviceBuffer candidate) : DeviceBuffer(reference.DType, reference.Length)
{
    public DeviceBuffer Reference { get; } = reference;
    public DeviceBuffer Candidate { get; } = candidate;

    protected override void Release()
    {
        Reference.Dispose();
        Candidate.Dispose();
    }
}

/// <summary>A weight uploaded to both devices.</summary>
internal sealed class LockstepLinear(DeviceLinear reference, DeviceLinear candidate)
    : DeviceLinear(reference.Name, reference.DType, reference.Out, reference.In)
{
    public DeviceLinear Reference { get; } = reference;
    public DeviceLinear Candidate { get; } = candidate;

    public override void Dispose()
    {
        Reference.Dispose();
        Candidate.Dispose();
    }
}
