using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Models.Decisions;
using SeekSharp.Models.DeepSeekV32.Ops;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>What one forward call over tokens at positions [StartPos, StartPos+Tokens) shares across layers.</summary>
public sealed class ForwardContext : IDisposable
{
    private readonly List<DeviceBuffer> _temporaries = [];

    public required IComputeDevice Device { get; init; }
    public required SequenceCache Cache { get; init; }
    public required DeviceRopeTable Rope { get; init; }
    public required int StartPos { get; init; }
    public required int Tokens { get; init; }

    /// <summary>Decisions to use instead of the model's own (per position and layer), when present.</summary>
    public DecisionLog? Forced { get; init; }

    /// <summary>Where to record every decision made (or forced) in this call.</summary>
    public DecisionLog? Record { get; init; }

    /// <summary>Power-of-two (ue8m0) activation scales for FP8 linears, as the checkpoint's scale_fmt says.</summary>
    public bool PowerOfTwoScales { get; init; } = true;

    /// <summary>Optional per-layer observer (indexer scores, layer outputs) for tests and debugging.</summary>
    public IForwardTrace? Trace { get; init; }

    public int EndPos => StartPos + Tokens;

    /// <summary>The reference's MHA prefill form applies to a whole prompt from position 0; otherwise the absorbed form.</summary>
    public bool UsesMhaPrefill => StartPos == 0 && Tokens > 1;

    /// <summary>A zeroed device buffer that lives until this forward call ends.</summary>
    public DeviceBuffer Temp(DType dtype, long length)
    {
        var buffer = Device.Allocate(dtype, length);
        _temporaries.Add(buffer);
        return buffer;
    }

    /// <summary>y[rows, Out] = bf16(x[rows, In] · Wᵀ), the reference's Linear for bf16 and FP8 weights; x and y dense.</summary>
    public void Linear(DeviceLinear w, DeviceBuffer x, int rows, DeviceBuffer y) =>
        Device.Linear(w, MatrixView.Dense(x, rows, w.In), MatrixView.Dense(y, rows, w.Out), roundToBf16: true, PowerOfTwoScales);

    /// <summary>y = x · Wᵀ in fp32 (router, indexer weights_proj, lm_head: fp32 in the reference).</summary>
    public void LinearFp32(DeviceLinear w, MatrixView x, MatrixView y) =>
        Device.Linear(w, x, y, roundToBf16: false, PowerOfTwoScales);

    /// <summary>Downloads a whole F32 buffer prefix (for traces and decisions).</summary>
    public float[] DownloadFloats(DeviceBuffer buffer, long count)
    {
        var values = new float[count];
        Device.Download<float>(buffer, 0, values);
        return values;
    }

    public void Dispose()
    {
        foreach (var buffer in _temporaries) buffer.Dispose();
        _temporaries.Clear();
    }
}

/// <summary>Observer of intermediate values; every method receives data valid only during the call.</summary>
public interface IForwardTrace
{
    /// <summary>Indexer scores of one layer: [tokens, endPos] with -inf where causally masked.</summary>
    void IndexScores(int layer, int startPos, int tokens, ReadOnlySpan<float> scores) { }

    /// <summary>Residual stream after a layer (h + residual, bf16 values): [tokens, hidden].</summary>
    void LayerOutput(int layer, ReadOnlySpan<float> hidden) { }

    /// <summary>Router scores of one token in one MoE layer: sigmoid [experts] and bias-corrected [experts], before group masking.</summary>
    void RouterScores(int moeLayer, int position, ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> biased) { }

    /// <summary>Output of the final norm: [tokens, hidden].</summary>
    void FinalHidden(ReadOnlySpan<float> hidden) { }
}
