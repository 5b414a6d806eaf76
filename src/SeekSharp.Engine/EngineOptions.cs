namespace SeekSharp.Engine;

/// <summary>How the engine sizes its cache and batches work. Defaults suit the CPU backend and small checkpoints.</summary>
public sealed record EngineOptions
{
    /// <summary>Positions per KV block (the prefix cache shares whole blocks).</summary>
    public const int BlockSize = 64;

    /// <summary>Blocks in the pool; when null, <see cref="KvCacheBytes"/> decides, and without both: room for
    /// <see cref="MaxRunningSequences"/> contexts of min(max_position_embeddings, 8192) tokens (set one of the two for
    /// a real deployment: at real size a block is 9.5 MB).</summary>
    public int? KvBlocks { get; init; }

    /// <summary>Device bytes for the pool (used when <see cref="KvBlocks"/> is null).</summary>
    public long? KvCacheBytes { get; init; }

    /// <summary>Sequences holding cache blocks at once.</summary>
    public int MaxRunningSequences { get; init; } = 32;

    /// <summary>Tokens one model step runs over all sequences (decodes count one each). At least <see cref="PrefillChunkTokens"/>.</summary>
    public int MaxTokensPerStep { get; init; } = 512;

    /// <summary>
    /// A prompt is computed in chunks of this many tokens. A chunk is never cut by the step budget (it waits for a
    /// step with room), so chunk boundaries depend on the sequence alone and batching never changes its numerics.
    /// </summary>
    public int PrefillChunkTokens { get; init; } = 256;

    /// <summary>Requests waiting for a slot; one more is refused with <see cref="EngineOverloadedException"/>.</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    /// <summary>Reuse cached full blocks of earlier sequences with the same token prefix.</summary>
    public bool PrefixCaching { get; init; } = true;

    /// <summary>
    /// Compute prompts in the absorbed MLA form only (no MHA prefill). Then a sequence's outputs are bit-identical
    /// whatever its chunking and whatever prefix the cache held; with the MHA form (default, the reference's prefill
    /// and cheaper attention for long prompts) a prefix hit or a later chunk continues in the absorbed form, which
    /// rounds at other points.
    /// </summary>
    public bool AbsorbedPrefill { get; init; }

    /// <summary>
    /// Run every linear through the multi-row kernels, a lone row too (<c>ForwardContext.RowInvariantLinears</c>), so a
    /// sequence gets the same bits in any batch: greedy outputs equal the same requests run one by one. Off, a step of
    /// a single row takes the CPU's faster GEMV path, whose last bits differ from the same row in a batch. Measured on
    /// 2 busy cores, random-1g-fp8, one sequence decoding: 15.1 tok/s with the GEMV, 4.2 tok/s row-invariant (the tiled
    /// FP8 kernel is compute-bound there); a multi-row GEMV with the 1-row summation order in CpuBackend would remove
    /// the cost. Applies to the CPU device only: the CUDA launchers pick kernels by row count as well (GEMV up to 8 rows,
    /// tensor cores beyond), so there it could not make batching bit-exact and would only add launches; it is ignored.
    /// With <see cref="MaxRunningSequences"/> = 1 no batch can form, so the engine skips it (a single conversation, e.g.
    /// seek chat, keeps the GEMV and matches the plain Forward loop).
    /// </summary>
    public bool BatchInvariant { get; init; } = true;

    /// <summary>
    /// Replay decode steps from CUDA graphs where the device records them (<c>DecodeGraphs</c> in SeekSharp.Models: one
    /// graph per batch bucket 1, 2, 4, then multiples of 8, and power-of-two context bucket; the batch is padded to its bucket). Off
    /// (<c>--enforce-eager</c>, as vLLM names it) every step launches its kernels one by one. Ignored on the CPU.
    /// </summary>
    public bool DecodeGraphs { get; init; } = true;

    /// <summary>Decode graphs held at once; the least recently used is dropped past it (each holds one step's temporaries).</summary>
    public int MaxDecodeGraphs { get; init; } = 8;

    /// <summary>Model id reported to clients; null = the checkpoint folder name (or "deepseek-v3.2").</summary>
    public string? ModelName { get; init; }

    /// <summary>Caps prompt + generated tokens below max_position_embeddings (null = the model's limit).</summary>
    public int? MaxContextTokens { get; init; }

    internal void Validate()
    {
        if (KvBlocks is < 1) throw new ArgumentOutOfRangeException(nameof(KvBlocks), "at least one KV block");
        if (KvCacheBytes is < 1) throw new ArgumentOutOfRangeException(nameof(KvCacheBytes), "a positive byte budget");
        if (MaxRunningSequences < 1) throw new ArgumentOutOfRangeException(nameof(MaxRunningSequences), "at least one running sequence");
        if (PrefillChunkTokens < 1) throw new ArgumentOutOfRangeException(nameof(PrefillChunkTokens), "at least one token per chunk");
        if (MaxTokensPerStep < PrefillChunkTokens)
            throw new ArgumentOutOfRangeException(nameof(MaxTokensPerStep), $"the step budget ({MaxTokensPerStep}) must hold a whole prefill chunk ({PrefillChunkTokens})");
        if (MaxQueuedRequests < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequests), "at least one queued request");
        if (MaxDecodeGraphs < 1) throw new ArgumentOutOfRangeException(nameof(MaxDecodeGraphs), "at least one decode graph");
        if (MaxContextTokens is < 2) throw new ArgumentOutOfRangeException(nameof(MaxContextTokens), "at least two tokens of context");
    }
}
