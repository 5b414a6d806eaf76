using System.Threading.Channels;
using SeekSharp.Engine.Cache;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Engine.Scheduling;

public enum SequenceState { Waiting, Running, Finished }

/// <summary>
/// One request inside the engine: its tokens (prompt, then sampled), how many of them the cache holds, its block
/// table, and the channel its outputs go to. Touched only by the engine thread, except <see cref="CancelRequested"/>.
/// </summary>
internal sealed class Sequence(string requestId, EngineRequest request, Sampler sampler, ChannelWriter<EngineOutput> outputs)
{
    private readonly List<BlockHash> _blockHashes = [];

    public string RequestId { get; } = requestId;
    public EngineRequest Request { get; } = request;
    public Sampler Sampler { get; } = sampler;
    public ChannelWriter<EngineOutput> Outputs { get; } = outputs;

    /// <summary>Prompt followed by every sampled token; the last one is not in the cache yet once generation started.</summary>
    public List<int> Tokens { get; } = [.. request.PromptTokens];
    public int PromptLength { get; } = request.PromptTokens.Count;
    public int Generated => Tokens.Count - PromptLength;

    /// <summary>Generated tokens already written to <see cref="Outputs"/> (forced ones at the start wait for the first sample step).</summary>
    public int Reported { get; set; }

    /// <summary>Log-probability of prompt token i at index i (index 0 null), filled as prompt chunks run; null when not asked.</summary>
    public List<TokenLogprob?>? PromptLogprobs { get; } = request.PromptLogprobs is null ? null : [null];

    /// <summary>The forced continuation has been appended (or there is none).</summary>
    public bool ForcedDone { get; set; } = request.Forced is null;

    /// <summary>Positions [0, Computed) are in the cache.</summary>
    public int Computed { get; set; }

    /// <summary>Pool block of positions [64i, 64i + 64) at index i.</summary>
    public List<int> Blocks { get; } = [];

    /// <summary>Leading blocks registered in (or taken from) the prefix cache.</summary>
    public int RegisteredBlocks { get; set; }

    /// <summary>
    /// End of the first chunk computed from position 0 (0 = none yet). The MHA form covers exactly that chunk; a
    /// recompute after preemption runs the same first chunk, so it reproduces the same cache rows bit for bit.
    /// </summary>
    public int FirstChunkEnd { get; set; }

    public bool EverAdmitted { get; set; }

    /// <summary>Counted out of the engine's bounded queue (first scheduled, or ended while waiting).</summary>
    public bool LeftQueue { get; set; }
    public int CachedPromptTokens { get; set; }
    public SequenceState State { get; set; } = SequenceState.Waiting;
    public volatile bool CancelRequested;

    /// <summary>All tokens are in the cache but the last: the next step runs one token.</summary>
    public bool IsDecoding => Computed == Tokens.Count - 1 && Computed > 0;

    /// <summary>Prefix-cache key of full block <paramref name="index"/> (tokens only grow, so keys never change).</summary>
    public BlockHash BlockHashAt(int index)
    {
        const int b = EngineOptions.BlockSize;
        while (_blockHashes.Count <= index)
        {
            var i = _blockHashes.Count;
            var parent = i == 0 ? BlockHash.Root : _blockHashes[i - 1];
            _blockHashes.Add(BlockHash.Chain(parent, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Tokens).Slice(i * b, b)));
        }
        return _blockHashes[index];
    }
}

/// <summary>Run Tokens[Start, Start + Count) of the sequence in this step.</summary>
internal readonly record struct ScheduledChunk(Sequence Sequence, int Start, int Count)
{
    /// <summary>This chunk reaches the last token, so the step's logits sample the next one.</summary>
    public bool Samples => Start + Count == Sequence.Tokens.Count;
}
