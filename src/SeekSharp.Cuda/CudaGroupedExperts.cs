using SeekSharp.Core.Compute;

namespace SeekSharp.Cuda;

/// <summary>
/// A MoE layer's FP8 routed experts for the grouped kernels: <see cref="Table"/> holds, per expert, the device addresses
/// of gate codes, gate scales, up codes, up scales, down codes, down scales (I64 [Count, 6], the layout
/// fp8_gemm_grouped reads). The weights stay owned by the caller.
/// </summary>
public sealed class CudaGroupedExperts : GroupedExperts
{
    /// <summary>Entries per expert in <see cref="Table"/>.</summary>
    public const int TableStride = 6;

    internal CudaGroupedExperts(int count, int hidden, int inner, CudaBuffer table) : base(count, hidden, inner) => Table = table;

    public CudaBuffer Table { get; }

    public override void Dispose() => Table.Dispose();
}

/// <summary>The weight matrices of an expert, by their place in <see cref="CudaGroupedExperts.Table"/> (entries 2m, 2m + 1).</summary>
public enum ExpertMatrix
{
    Gate = 0,
    Up = 1,
    Down = 2,
}
