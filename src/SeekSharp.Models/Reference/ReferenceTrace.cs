namespace SeekSharp.Models.Reference;

/// <summary>
/// Intermediate tensors of the last <see cref="ReferenceForward.Forward"/> that was given this trace
/// (T = tokens of that call, end = start + T). Overwritten by each call.
/// </summary>
public sealed class ReferenceTrace
{
    public int Tokens { get; private set; }

    public int End { get; private set; }

    /// <summary>[T, hidden] output of the final norm (bf16 values).</summary>
    public float[] FinalHidden { get; private set; } = [];

    /// <summary>[layers, T, hidden] residual stream after each layer, bf16(h + residual).</summary>
    public float[] LayerOut { get; private set; } = [];

    /// <summary>Per layer [T, end] indexer scores that were top-k'ed (-inf after the row's position when T &gt; 1); null without indexer.</summary>
    public float[]?[] IndexScores { get; private set; } = [];

    internal void Begin(int layers, int tokens, int end, int hidden)
    {
        Tokens = tokens;
        End = end;
        FinalHidden = new float[tokens * hidden];
        LayerOut = new float[layers * tokens * hidden];
        IndexScores = new float[]?[layers];
    }
}
