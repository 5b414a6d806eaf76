namespace SeekSharp.Cuda.Runtime;

/// <summary>A compute capability, e.g. 9.0 for Hopper.</summary>
public readonly record struct GpuArchitecture(int Major, int Minor)
{
    /// <summary>The oldest architecture our kernels target (Ampere: bf16, cp.async).</summary>
    public static GpuArchitecture Minimum { get; } = new(8, 0);

    /// <summary>The number NVRTC uses for it: 90 for 9.0.</summary>
    public int Number => Major * 10 + Minor;

    /// <summary>
    /// Whether to compile for the architecture-specific target (sm_90a on Hopper: wgmma, setmaxnreg), which runs on
    /// exactly this architecture.
    /// </summary>
    public bool HasArchSpecificTarget => Major == 9 && Minor == 0;

    public bool IsSupported => Number >= Minimum.Number;

    public override string ToString() => $"sm_{Number}";
}
