namespace SeekSharp.Models.Tests.Golden;

/// <summary>max|Δ|, mean|Δ| and argmax agreement between two [rows, vocab] logit matrices (README §5 metrics).</summary>
public sealed record LogitComparison(double Max, double Mean, double ArgmaxAgreement, int Rows)
{
    public static LogitComparison Of(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, int vocab)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"length {actual.Length} vs {expected.Length}");
        var rows = actual.Length / vocab;
        double max = 0, sum = 0;
        var agree = 0;
        for (var r = 0; r < rows; r++)
        {
            var a = actual.Slice(r * vocab, vocab);
            var e = expected.Slice(r * vocab, vocab);
            for (var i = 0; i < vocab; i++)
            {
                var d = Math.Abs((double)a[i] - e[i]);
                max = Math.Max(max, d);
                sum += d;
            }
            if (ArgMax(a) == ArgMax(e)) agree++;
        }
        return new LogitComparison(max, sum / actual.Length, agree / (double)rows, rows);
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    public override string ToString() => $"max|Δ| {Max:F4}  mean|Δ| {Mean:F5}  argmax {ArgmaxAgreement:P1} of {Rows} rows";
}
