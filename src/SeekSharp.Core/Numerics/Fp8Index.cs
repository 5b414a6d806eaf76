namespace SeekSharp.Core.Numerics;

/// <summary>
/// The reference <c>fp8_index</c> (lightning-indexer scores for one query token over n cached keys):
/// <code>
/// score[s] = ( Σ_h max(0, Σ_d q8[h, d] · k8[s, d]) · w[h] ) · kScales[s]
/// </code>
/// in fp32 with a fixed order: the dot product over d ascending (exact e4m3 products, fp32 sum from 0), then
/// per head relu · weight, heads summed in ascending order from 0, finally one multiply by the key scale.
/// The weights already include q_scale · heads^-½ · dim^-½ (the caller folds them in, as the reference does).
/// </summary>
public static class Fp8Index
{
    /// <summary>Indexer head dimension of DeepSeek-V3.2.</summary>
    public const int DefaultHeadDim = 128;

    /// <summary>
    /// q8: [heads, dim] codes; weights: [heads]; k8: [n, dim] codes; kScales: [n]; scores: [n] (overwritten).
    /// </summary>
    public static void Scores(ReadOnlySpan<byte> q8, ReadOnlySpan<float> weights, ReadOnlySpan<byte> k8,
        ReadOnlySpan<float> kScales, int heads, int n, Span<float> scores, int dim = DefaultHeadDim)
    {
        SpanGuard.NonNegative(heads, nameof(heads));
        SpanGuard.NonNegative(n, nameof(n));
        SpanGuard.Positive(dim, nameof(dim));
        SpanGuard.AtLeast(q8.Length, (long)heads * dim, nameof(q8));
        SpanGuard.AtLeast(weights.Length, heads, nameof(weights));
        SpanGuard.AtLeast(k8.Length, (long)n * dim, nameof(k8));
        SpanGuard.AtLeast(kScales.Length, n, nameof(kScales));
        SpanGuard.AtLeast(scores.Length, n, nameof(scores));

        var q = new float[heads * dim];   // [heads, dim] exact decoded values
        var key = new float[dim];         // [dim]
        Fp8E4M3.ToFloat(q8[..(heads * dim)], q);
        for (var s = 0; s < n; s++)
        {
            Fp8E4M3.ToFloat(k8.Slice(s * dim, dim), key);
            var sum = 0f;
            for (var h = 0; h < heads; h++)
            {
                var head = q.AsSpan(h * dim, dim);
                var logit = 0f;
                for (var d = 0; d < dim; d++) logit += head[d] * key[d];
                sum += MathF.Max(logit, 0f) * weights[h];
            }
            scores[s] = sum * kScales[s];
        }
    }
}
