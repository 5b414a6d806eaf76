using SeekSharp.Engine.Cache;

namespace SeekSharp.Engine.Scheduling;

/// <summary>
/// Continuous batching: each step, running decodes first (oldest first, one token each), then running prompts'
/// next chunks, then admissions from the waiting queue (FIFO), all within the step's token budget. A prompt chunk is
/// <see cref="EngineOptions.PrefillChunkTokens"/> long (or the rest of the prompt) and never cut to fit the budget,
/// so a sequence's chunking, and therefore its numerics, never depends on what else runs. When a running sequence
/// needs a block and none is left, the youngest running sequence is preempted: its blocks are released and it waits
/// at the head of the queue to be recomputed (vLLM's recompute policy).
/// </summary>
internal sealed class Scheduler(BlockManager blocks, EngineOptions options)
{
    private const int B = EngineOptions.BlockSize;

    public LinkedList<Sequence> Waiting { get; } = new();

    /// <summary>Oldest admission first.</summary>
    public List<Sequence> Running { get; } = [];

    public BlockManager Blocks => blocks;
    public long Preemptions { get; private set; }
    public long PromptTokens { get; private set; }
    public long PrefixQueriedTokens { get; private set; }
    public long PrefixHitTokens { get; private set; }

    public List<ScheduledChunk> Schedule()
    {
        var plan = new List<ScheduledChunk>();
        var budget = options.MaxTokensPerStep;
        foreach (var decoding in new[] { true, false })
            foreach (var sequence in Running.ToArray())
            {
                if (sequence.State != SequenceState.Running || sequence.IsDecoding != decoding) continue;
                var count = decoding ? 1 : ChunkLength(sequence);
                if (count > budget) continue;
                if (!GrowOrPreempt(sequence, sequence.Computed + count, plan, ref budget)) continue;
                plan.Add(new ScheduledChunk(sequence, sequence.Computed, count));
                budget -= count;
            }

        while (Waiting.First is { } node && Running.Count < options.MaxRunningSequences)
        {
            var sequence = node.Value;
            TakeCachedPrefix(sequence);
            var count = ChunkLength(sequence);
            if (count > budget || !Grow(sequence, sequence.Computed + count))
            {
                ReleaseBlocks(sequence);
                break;
            }
            Waiting.RemoveFirst();
            if (!sequence.EverAdmitted)
            {
                sequence.EverAdmitted = true;
                sequence.CachedPromptTokens = sequence.Computed;
                PromptTokens += sequence.PromptLength;
                if (options.PrefixCaching)
                {
                    PrefixQueriedTokens += sequence.PromptLength;
                    PrefixHitTokens += sequence.Computed;
                }
            }
            sequence.State = SequenceState.Running;
            Running.Add(sequence);
            plan.Add(new ScheduledChunk(sequence, sequence.Computed, count));
            budget -= count;
        }
        return plan;
    }

    /// <summary>After the step ran the chunk: advance the sequence and publish its newly full blocks to the prefix cache.</summary>
    public void Complete(ScheduledChunk chunk)
    {
        var sequence = chunk.Sequence;
        if (chunk.Start == 0 && sequence.FirstChunkEnd == 0) sequence.FirstChunkEnd = chunk.Count;
        sequence.Computed = chunk.Start + chunk.Count;
        if (!options.PrefixCaching) return;
        for (var i = sequence.RegisteredBlocks; i < sequence.Computed / B; i++)
            blocks.Register(sequence.Blocks[i], sequence.BlockHashAt(i));
        sequence.RegisteredBlocks = Math.Max(sequence.RegisteredBlocks, sequence.Computed / B);
    }

    /// <summary>Takes the sequence out of the scheduler and frees its blocks (full ones stay in the prefix cache).</summary>
    public void Remove(Sequence sequence)
    {
        if (sequence.State == SequenceState.Running) Running.Remove(sequence);
        else if (sequence.State == SequenceState.Waiting) Waiting.Remove(sequence);
        ReleaseBlocks(sequence);
        sequence.State = SequenceState.Finished;
    }

    private int ChunkLength(Sequence sequence)
    {
        // a recompute replays the first chunk from position 0 exactly (MHA there, absorbed after), see FirstChunkEnd
        if (sequence.Computed == 0 && sequence.FirstChunkEnd > 0) return sequence.FirstChunkEnd;
        return Math.Min(sequence.Tokens.Count - sequence.Computed, options.PrefillChunkTokens);
    }

    /// <summary>
    /// Shares the longest run of cached full blocks of the sequence's tokens (leaving at least one token to run). A
    /// recomputed sequence takes them only past its first chunk, so its MHA chunk is replayed whole.
    /// </summary>
    private void TakeCachedPrefix(Sequence sequence)
    {
        // prompt scoring needs the logits of every prompt row, so such a request computes them all
        if (!options.PrefixCaching || sequence.Blocks.Count > 0 || sequence.Request.PromptLogprobs is not null) return;
        var fullBlocks = (sequence.Tokens.Count - 1) / B;
        for (var i = 0; i < fullBlocks; i++)
        {
            var block = blocks.Acquire(sequence.BlockHashAt(i));
            if (block < 0) break;
            sequence.Blocks.Add(block);
        }
        var hit = sequence.Blocks.Count * B;
        if (sequence.FirstChunkEnd > 1 && hit < sequence.FirstChunkEnd)
        {
            ReleaseBlocks(sequence);
            return;
        }
        sequence.Computed = hit;
        sequence.RegisteredBlocks = sequence.Blocks.Count;
    }

    private bool Grow(Sequence sequence, int end)
    {
        while (sequence.Blocks.Count * B < end)
        {
            var block = blocks.Allocate();
            if (block < 0) return false;
            sequence.Blocks.Add(block);
        }
        return true;
    }

    /// <summary>Grows the sequence's table to cover <paramref name="end"/>, preempting younger sequences (or itself) for room.</summary>
    private bool GrowOrPreempt(Sequence sequence, int end, List<ScheduledChunk> plan, ref int budget)
    {
        while (!Grow(sequence, end))
        {
            var victim = Running[^1];
            var planned = plan.FindIndex(c => c.Sequence == victim);
            if (planned >= 0)
            {
                budget += plan[planned].Count;
                plan.RemoveAt(planned);
            }
            Preempt(victim);
            if (victim == sequence) return false;
        }
        return true;
    }

    private void Preempt(Sequence sequence)
    {
        Running.Remove(sequence);
        ReleaseBlocks(sequence);
        sequence.State = SequenceState.Waiting;
        Waiting.AddFirst(sequence);
        Preemptions++;
    }

    private void ReleaseBlocks(Sequence sequence)
    {
        // tail first: the idle LRU then evicts a prefix's last blocks before its first ones
        for (var i = sequence.Blocks.Count - 1; i >= 0; i--) blocks.Release(sequence.Blocks[i]);
        sequence.Blocks.Clear();
        sequence.Computed = 0;
        sequence.RegisteredBlocks = 0;
    }
}
