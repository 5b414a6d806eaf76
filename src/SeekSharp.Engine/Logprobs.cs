namespace SeekSharp.Engine;

/// <summary>Log-probabilities under the unmodified distribution: log-softmax of the raw logits (no temperature).</summary>
public static class Logprobs
{
    /// <summary>The sampled token's log-probability and the <paramref name="top"/> most likely tokens (descending, ties to the lower id).</summary>
    public static TokenLogprob Of(ReadOnlySpan<float> logits, int token, int top)
    {
        var max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        var sum = 0.0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        var logZ = max + Math.Log(sum);                                  // log Σ e^l, in double
        var best = new List<TopLogprob>(top + 1);
        if (top > 0)
            for (var i = 0; i < logits.Length; i++)
            {
                if (best.Count == top && logits[i] <= best[^1].Logprob) continue;
                var at = best.Count;
                while (at > 0 && logits[i] > best[at - 1].Logprob) at--;      // equal logits keep the lower id first
                best.Insert(at, new TopLogprob(i, logits[i]));
                if (best.Count > top) best.RemoveAt(best.Count - 1);
            }
        var result = best.Select(b => b with { Logprob = (float)(b.Logprob - logZ) }).ToArray();
        return new TokenLogprob((float)(logits[token] - logZ), result);
    }
}
