using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.Cuda;

/// <summary>
/// A linear weight W [Out, In] in GPU memory: FP8 codes (F8E4M3) with fp32 block scales [ceil(Out/128), ceil(In/128)]
/// exactly as in the checkpoint, or BF16, or F32 values.
/// </summary>
public sealed class CudaLinear : DeviceLinear
{
    internal CudaLinear(string name, DType dtype, int outFeatures, int inFeatures, CudaBuffer data, CudaBuffer? scales)
        : base(name, dtype, outFeatures, inFeatures)
    {
        Data = data;
        Scales = scales;
    }

    /// <summary>W [Out, In] row-major.</summary>
    public CudaBuffer Data { get; }

    /// <summary>FP8 block scales (scale_inv), null for BF16 and F32.</summary>
    public CudaBuffer? Scales { get; }

    public override void Dispose()
    {
        Data.Dispose();
        Scales?.Dispose();
    }
}
