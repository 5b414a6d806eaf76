namespace SeekSharp.Core.Compute;

/// <summary>
/// A linear weight W [Out, In] resident where its device computes (FP8 stays FP8 with its 128×128 block scales).
/// Created by <see cref="IComputeDevice.UploadLinear"/>.
/// </summary>
public abstract class DeviceLinear : IDisposable
{
    protected DeviceLinear(string name, DType dtype, int outFeatures, int inFeatures)
    {
        Name = name;
        DType = dtype;
        Out = outFeatures;
        In = inFeatures;
    }

    public string Name { get; }
    public DType DType { get; }
    public int Out { get; }
    public int In { get; }

    public abstract void Dispose();

    public override string ToString() => $"{Name} {DType} [{Out}, {In}]";
}
