using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Engine.Tests;

/// <summary>A request run alone through the plain <see cref="DeepSeekV32Model.Forward"/> loop: the oracle for engine outputs.</summary>
public sealed record ReferenceRun(List<int> Tokens, List<float[]> Logits);

public static class Reference
{
    /// <summary>
    /// Greedy generation: the prompt in chunks of <paramref name="chunk"/> tokens, then one token per forward call, with
    /// the engine's row-invariant linears. <paramref name="cache"/> may already hold a prefix (positions before the prompt's).
    /// </summary>
    public static ReferenceRun Generate(DeepSeekV32Model model, int[] prompt, int maxNew, int chunk = int.MaxValue,
        SequenceCache? cache = null, Sampler? sampler = null, IReadOnlyCollection<int>? eos = null)
    {
        using var owned = cache is null ? model.NewCache() : null;
        var kv = cache ?? owned!;
        sampler ??= new Sampler(new SamplingParams());
        var tokens = new List<int>();
        var logits = new List<float[]>();
        float[] last = [];
        for (var start = kv.Length; start < prompt.Length;)
        {
            var count = Math.Min(chunk, prompt.Length - start);
            last = model.Forward(prompt.AsSpan(start, count), kv, rowInvariantLinears: true);
            start += count;
        }
        while (true)
        {
            logits.Add(last);
            var token = sampler.Next(last);
            tokens.Add(token);
            if (tokens.Count == maxNew || eos?.Contains(token) == true) break;
            last = model.Forward([token], kv, rowInvariantLinears: true);
        }
        return new ReferenceRun(tokens, logits);
    }

    /// <summary>log-softmax of one logit row, in double, written independently of the engine's.</summary>
    public static double[] LogSoftmax(float[] logits)
    {
        var max = logits.Max();
        var logZ = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        return [.. logits.Select(l => l - logZ)];
    }
}
