using System.Buffers;
using System.Numerics.Tensors;

namespace SeekSharp.Models.Sampling;

/// <summary>Sampling settings; temperature 0 is greedy (argmax, lowest id on ties).</summary>
public sealed record SamplingParams(float Temperature = 0f, float TopP = 1f, int TopK = 0, int? Seed = null);

/// <summary>
/// Picks the next token from fp32 logits. Greedy at temperature 0; otherwise softmax(logits/T) restricted to
/// top-k and the top-p nucleus, sampled as argmax(p / Exp(1)) like the reference generate.py (exact categorical).
/// </summary>
public sealed class Sampler
{
    private readonly SamplingParams _params;
    private readonly Random _random;

    public Sampler(SamplingParams parameters)
    {
        if (parameters.Temperature < 0 || float.IsNaN(parameters.Temperature)) throw new ArgumentOutOfRangeException(nameof(parameters), "temperature must be ≥ 0");
        if (parameters.TopP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(parameters), "top_p must be in (0, 1]");
        if (parameters.TopK < 0) throw new ArgumentOutOfRangeException(nameof(parameters), "top_k must be ≥ 0 (0 = off)");
        _params = parameters;
        _random = parameters.Seed is { } seed ? new Random(seed) : new Random();
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_params.Temperature == 0f) return ArgMax(logits);

        var probs = new float[logits.Length];
        var max = float.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++) max = Math.Max(max, logits[i] / _params.Temperature);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            probs[i] = MathF.Exp(logits[i] / _params.Temperature - max);
            sum += probs[i];
        }
        for (var i = 0; i < probs.Length; i++) probs[i] = (float)(probs[i] / sum);

        if (_params.TopK > 0 || _params.TopP < 1f) Truncate(probs);

        var best = -1;
        var bestValue = double.NegativeInfinity;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0f) continue;
            var noise = -Math.Log(1.0 - _random.NextDouble());   // Exp(1)
            var value = probs[i] / noise;
            if (value > bestValue) { bestValue = value; best = i; }
        }
        return best < 0 ? ArgMax(logits) : best;
    }

    /// <summary>
    /// Zeroes everything outside top-k and outside the smallest set whose mass reaches top_p, both in the order of
    /// probability descending, index ascending. Only a prefix of that order can be kept, so only the entries of the
    /// highest binary orders of magnitude that can hold it are sorted (at the real vocabulary, 129,280 entries, a full
    /// sort per sequence and step cost tens of milliseconds).
    /// </summary>
    private void Truncate(float[] probs)
    {
        var order = SortedPrefix(probs, _params.TopK, _params.TopP);
        var (keep, reached) = KeptPrefix(probs, order);
        // a prefix cut by mass that the sum did not reach (the sums by magnitude rounded otherwise): the whole order
        if (!reached && _params.TopK == 0 && order.Length < probs.Length)
            (keep, _) = KeptPrefix(probs, order = SortedPrefix(probs, 0, 1f));
        var kept = new float[keep];
        for (var r = 0; r < keep; r++) kept[r] = probs[order[r]];
        Array.Clear(probs);
        for (var r = 0; r < keep; r++) probs[order[r]] = kept[r];
    }

    /// <summary>How many of <paramref name="order"/> to keep (top-k, then the first prefix reaching top_p), and whether the mass was reached.</summary>
    private (int Keep, bool Reached) KeptPrefix(float[] probs, int[] order)
    {
        var keep = _params.TopK > 0 ? Math.Min(_params.TopK, order.Length) : order.Length;
        var mass = 0.0;
        for (var r = 0; r < keep; r++)
        {
            mass += probs[order[r]];
            if (mass >= _params.TopP) return (r + 1, true);
        }
        return (keep, false);
    }

    /// <summary>
    /// A prefix of the indices in the order (probability descending, index ascending) that holds the first topK of them
    /// (topK > 0), or that reaches mass topP with the next smaller magnitude as margin (topK = 0; topP 1: every index).
    /// The prefix is every index whose probability's binary exponent is at least a bound, sorted.
    /// </summary>
    private static int[] SortedPrefix(float[] probs, int topK, float topP)
    {
        // probabilities are ≥ 0 (a NaN logit makes them NaN: the plain full sort keeps the old order rules there)
        foreach (var p in probs)
            if (float.IsNaN(p)) return [.. Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i)];
        var bound = 0;
        if (topK > 0 || topP < 1f)
        {
            Span<long> count = stackalloc long[256];
            Span<double> mass = stackalloc double[256];
            foreach (var p in probs)
            {
                var e = (int)(BitConverter.SingleToUInt32Bits(p) >> 23);
                count[e]++;
                mass[e] += p;
            }
            long seen = 0;
            var sum = 0.0;
            for (var e = 255; e >= 0; e--)
            {
                seen += count[e];
                sum += mass[e];
                if (topK > 0 ? seen >= topK : sum >= topP)
                {
                    bound = topK > 0 ? e : Math.Max(e - 1, 0);
                    break;
                }
            }
        }
        var keys = ArrayPool<ulong>.Shared.Rent(probs.Length);
        var n = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            var bits = BitConverter.SingleToUInt32Bits(probs[i]);
            // larger probability first (the complemented bits of a non-negative float ascend as it falls), then lower index
            if ((int)(bits >> 23) >= bound) keys[n++] = ((ulong)~bits << 32) | (uint)i;
        }
        Array.Sort(keys, 0, n);
        var order = new int[n];
        for (var r = 0; r < n; r++) order[r] = (int)(uint)keys[r];
        ArrayPool<ulong>.Shared.Return(keys);
        return order;
    }

    /// <summary>The first index of the largest logit; a NaN never wins except at index 0.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        // the vectorised search returns the first index of the maximum too, but prefers a NaN and +0 over -0: where
        // the maximum it finds is NaN or zero, the comparison loop decides
        var index = TensorPrimitives.IndexOfMax(logits);
        if (index >= 0 && !float.IsNaN(logits[index]) && logits[index] != 0f) return index;
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
