using SeekSharp.Engine;
using SeekSharp.Engine.Cache;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// One batched decode step of B sequences whose caches hold context − 1 positions, over a shared paged pool as the
/// serving engine runs it: launched op by op, and replayed from the engine's decode graph (when the device records graphs).
/// The cache rows stay as allocated (zeros) and every repetition decodes the same position.
/// </summary>
internal static class DecodeStepTiming
{
    /// <param name="EagerMs">The step launched op by op.</param>
    /// <param name="GraphMs">The step replayed from its decode graph; null when the device records none or recording failed.</param>
    /// <param name="RefillMs">The host part of the replay (inputs filled and uploaded, once a step).</param>
    /// <param name="GraphNote">Which graph bucket replayed, or why none did.</param>
    public sealed record Result(double EagerMs, double? GraphMs, double? RefillMs, string? GraphNote)
    {
        /// <summary>The step as the engine runs it: the replay where there is one.</summary>
        public double StepMs => GraphMs ?? EagerMs;
    }

    public static Result Measure(DeepSeekV32Model model, int batch, int context, MedianTimer timer)
    {
        var blocksPerSequence = (context + EngineOptions.BlockSize - 1) / EngineOptions.BlockSize;
        using var pool = new KvBlockPool(model.Device, model.Config, batch * blocksPerSequence, scratchBlocks: 1);
        var sequences = new BatchSequence[batch];
        for (var b = 0; b < batch; b++)
        {
            var table = Enumerable.Range(b * blocksPerSequence, blocksPerSequence).ToArray();
            // a different token per sequence, so the MoE routes the batch over many experts as real traffic does
            sequences[b] = new BatchSequence(new[] { 3 + b * 7 % 1000 }, context - 1, new PagedSequenceKv(pool, table));
        }
        var eager = timer.Time(() => model.ForwardBatch(sequences, rowInvariantLinears: false));
        using var graphs = DecodeGraphs.Create(model, new PagedSequenceKv(pool, [pool.ScratchBlock]));
        if (graphs is null) return new Result(eager, null, null, "this device records no graphs");
        graphs.TryRun(sequences);   // a bucket is recorded the second time it comes
        var replay = timer.Time(() => graphs.TryRun(sequences));
        if (graphs.LastRecordingFailure is { } reason) return new Result(eager, null, null, $"not recorded: {reason}");
        return new Result(eager, replay, graphs.LastRefillMilliseconds,
            $"batch bucket {DecodeGraphs.RowBucket(batch)}, context bucket {DecodeGraphs.ContextBucket(context, model.Config.MaxPositionEmbeddings)}");
    }
}
