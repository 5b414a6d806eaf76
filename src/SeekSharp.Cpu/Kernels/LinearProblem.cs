namespace SeekSharp.Cpu.Kernels;

/// <summary>The pinned operands of one y = x·Wᵀ pass, handed by value to every worker chunk.</summary>
internal readonly unsafe struct LinearProblem
{
    /// <summary>W [Out, In] in its own dtype.</summary>
    public required void* Weight { get; init; }

    /// <summary>F8E4M3 block scales [ceil(Out/128), ceil(In/128)]; null otherwise.</summary>
    public required float* WeightScales { get; init; }

    public required int Out { get; init; }

    public required int In { get; init; }

    /// <summary>[Rows, In] fp32 activations (for F8E4M3: the act-quant codes decoded to fp32).</summary>
    public required float* Activations { get; init; }

    /// <summary>[Rows, ceil(In/128)] activation block scales for F8E4M3; null otherwise.</summary>
    public required float* ActivationScales { get; init; }

    /// <summary>[Rows, Out] fp32 results.</summary>
    public required float* Output { get; init; }

    public required int Rows { get; init; }

    /// <summary>Number of 128-wide K blocks.</summary>
    public int KBlocks => (In + LinearDriver.Block - 1) / LinearDriver.Block;
}
