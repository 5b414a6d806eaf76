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

    /// <summary>Zeroes everything outside top-k and outside the smallest set whose mass reaches top_p.</summary>
    private void Truncate(float[] probs)
    {
        var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();
        var keep = _params.TopK > 0 ? Math.Min(_params.TopK, order.Length) : order.Length;
        var mass = 0.0;
        for (var r = 0; r < keep; r++)
        {
            mass += probs[order[r]];
            if (mass >= _params.TopP) { keep = r + 1; break; }
        }
        for (var r = keep; r < order.Length; r++) probs[order[r]] = 0f;
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
