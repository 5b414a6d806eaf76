using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;
using SeekSharp.Models.Decisions;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>What one forward call over tokens at positions [StartPos, StartPos+Tokens) shares across layers.</summary>
public sealed class ForwardContext
{
    public required IBackend Backend { get; init; }
    public required SequenceCache Cache { get; init; }
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

    /// <summary>y[rows, out] = bf16(x · Wᵀ), the reference's Linear for bf16 and FP8 weights.</summary>
    public void Linear(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        Backend.Linear(w, x, rows, y, PowerOfTwoScales);
        BFloat16Math.RoundInPlace(y[..(rows * w.Out)]);
    }

    /// <summary>y = x · Wᵀ in fp32 (router, indexer weights_proj, lm_head: fp32 in the reference).</summary>
    public void LinearFp32(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y) =>
        Backend.Linear(w, x, rows, y, PowerOfTwoScales);
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
