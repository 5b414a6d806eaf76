namespace SeekSharp.Models.Reference;

/// <summary>Knobs of the reference forward; the defaults are the primary golden semantics.</summary>
public sealed record ReferenceOptions
{
    /// <summary>Replaces config index_topk; <see cref="int.MaxValue"/> selects every visible key (dense-attention control).</summary>
    public int? IndexTopkOverride { get; init; }

    /// <summary>Power-of-two (ue8m0) scales for the indexer's q/k act_quant; the golden uses them for both tiny checkpoints.</summary>
    public bool IndexerPowerOfTwoScales { get; init; } = true;
}
