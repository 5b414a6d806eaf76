using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Kernels/mla_prefill_tc.cu: the MHA-form prefill on bf16 tensor cores for DeepSeek's head shape (nope 128, rope 64,
/// v 128), in place of mla_prefill's one block per (token, head). The keys and values are laid out per head in bf16
/// once (mla_prefill_tc_keys), an index list becomes a bit mask per row (mla_prefill_tc_mask), and each block runs 64
/// queries of one head over the causal key tiles twice (the rows' max and sum, then exact p and P V). Cost grows with
/// tokens²: a prompt's first chunk, which the engine keeps to a few thousand tokens. SEEKSHARP_MLA_PREFILL_TC=0 keeps
/// mla_prefill (for A/B timing); =regs and =lds pick the kernel's earlier forms.
/// </summary>
internal sealed class MlaPrefillTensorCores(KernelLibrary library, Func<DType, long, CudaBuffer> scratch)
{
    private const string File = "mla_prefill_tc.cu";
    private const int Rows = 64;   // MPT_ROWS: queries per block (a multiple of the 32-key tiles)
    private const int Keys = 32;   // MPT_KEYS
    private const int Qk = 192, V = 128;
    private const int KeyStride = 200, ValueStride = 40;   // MPT_KS, MPT_VS: bf16 per shared key row / transposed value row

    private const int QsShared = (Rows * KeyStride + 2 * Keys * KeyStride + 2 * V * ValueStride) * 2;   // MPT_QS_SHARED

    // The kernel's forms (round 13's A/B at 4096 tokens): q kept in shared memory, 168 registers, 3 blocks an SM (the
    // default, 11.3 ms); q in registers, 216 registers, 2 blocks (SEEKSHARP_MLA_PREFILL_TC=regs, 13.4 ms); that with
    // its B fragments as 32-bit loads instead of ldmatrix (=lds, 14.2 ms). =0 keeps mla_prefill.
    private static readonly string? Switch = Environment.GetEnvironmentVariable("SEEKSHARP_MLA_PREFILL_TC");
    private static readonly bool Enabled = Switch != "0";
    private static readonly string AttendKernel = Switch switch { "lds" => "mla_prefill_tc_lds", "regs" => "mla_prefill_tc", _ => "mla_prefill_tc_qs" };
    private static readonly int AttendShared = AttendKernel == "mla_prefill_tc_qs" ? QsShared : 0;
    private readonly Lazy<(CudaFunction Keys, CudaFunction Mask, CudaFunction Attend)?> _kernels = new(() => Load(library));

    /// <summary>The shape these kernels take: nope 128, rope 64, v 128 (DeepSeek-V3/V3.2's heads), any head count.</summary>
    public static bool Fits(MlaShape shape) => shape.Nope == 128 && shape.Rope == 64 && shape.V == V;

    /// <summary>Whether the kernels can run here (the module compiled and loaded, not switched off).</summary>
    public bool Available => Enabled && _kernels.Value is not null;

    /// <summary>MlaLauncher.MlaPrefill's contract, its arguments checked there; <see cref="Fits"/> the shape.</summary>
    public void Run(CudaStream stream, CudaBuffer q, CudaBuffer kvb, CudaBuffer ropeKeys, CudaBuffer? indices, int indexWidth,
        int tokens, MlaShape shape, CudaBuffer output, CudaBuffer? lse)
    {
        var (keysKernel, maskKernel, attend) = _kernels.Value ?? throw new InvalidOperationException("mla_prefill_tc is not available");
        var heads = shape.Heads;
        var tpad = (tokens + Rows - 1) / Rows * Rows;
        using var kh = scratch(DType.BF16, (long)heads * tpad * Qk);   // [heads, tpad, 192]
        using var vt = scratch(DType.BF16, (long)heads * tpad * V);    // [heads, tpad / 32, 128, 32]
        keysKernel.Launch(stream, new Dim3((uint)(tpad / Keys), (uint)heads), new Dim3(128), 0, new KernelArgs()
            .Ptr(kvb.Pointer).Ptr(ropeKeys.Pointer).Ptr(kh.Pointer).Ptr(vt.Pointer).Int(tokens).Int(tpad).Int(heads));

        var words = tpad / Keys;
        using var mask = indices is null ? null : scratch(DType.I32, (long)tokens * words);   // [tokens, words] bits
        if (indices is not null)
            maskKernel.Launch(stream, new Dim3((uint)tokens), new Dim3(256), words * 4, new KernelArgs()
                .Ptr(indices.Pointer).Int(indexWidth).Ptr(mask!.Pointer).Int(words));

        attend.Launch(stream, new Dim3((uint)(tpad / Rows), (uint)heads), new Dim3(128), AttendShared, new KernelArgs()
            .Ptr(q.Pointer).Ptr(kh.Pointer).Ptr(vt.Pointer).Ptr(mask?.Pointer ?? 0).Int(words).Ptr(output.Pointer)
            .Ptr(lse?.Pointer ?? 0).Int(tokens).Int(tpad).Int(heads).Float(shape.SoftmaxScale));
    }

    private static (CudaFunction, CudaFunction, CudaFunction)? Load(KernelLibrary library) =>
        library.TryLoadOptional("mla_prefill: the tensor-core kernels", "mla_prefill", () =>
        {
            var module = library.Module(File);
            var attend = module.Function(AttendKernel);
            if (AttendShared > 0) attend.SetMaxDynamicSharedBytes(AttendShared);
            return (module.Function("mla_prefill_tc_keys"), module.Function("mla_prefill_tc_mask"), attend);
        }, out var kernels) ? kernels : null;
}
