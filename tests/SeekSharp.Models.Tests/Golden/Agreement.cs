namespace SeekSharp.Models.Tests.Golden;

/// <summary>
/// Element-wise agreement of two [rows, cols] fp32 tensors: max|Δ|, mean|Δ| and per-row argmax agreement. With
/// <c>tieMargin</c>, a row also agrees when the actual argmax is another column whose expected value is within that
/// much of the expected maximum: two logits closer than the rounding noise the max|Δ| bar allows may swap on noise (the
/// tiny golden has generation rows whose two best logits are 0.0027 and 0.0079 apart), but the pick must stay one of them.
/// </summary>
internal readonly record struct Agreement(double Max, double Mean, double ArgmaxAgreement, int Rows, double TieMargin)
{
    public static Agreement Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int cols, double tieMargin = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(cols > 0 && expected.Length % cols == 0, $"length {expected.Length} is not a multiple of {cols}");
        double max = 0, sum = 0;
        var rows = expected.Length / cols;
        var sameArgmax = 0;
        for (var r = 0; r < rows; r++)
        {
            var e = expected.Slice(r * cols, cols);
            var a = actual.Slice(r * cols, cols);
            for (var c = 0; c < cols; c++)
            {
                Assert.False(float.IsNaN(a[c]), $"NaN at row {r}, col {c}");
                var d = Math.Abs((double)e[c] - a[c]);
                max = Math.Max(max, d);
                sum += d;
            }
            int want = Argmax(e), got = Argmax(a);
            if (got == want || (double)e[got] > (double)e[want] - tieMargin) sameArgmax++;
        }
        return new Agreement(max, sum / expected.Length, (double)sameArgmax / rows, rows, tieMargin);
    }

    /// <summary>Index of the largest value, lowest index on ties (the golden's greedy rule).</summary>
    public static int Argmax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    public override string ToString() => $"max|Δ| {Max:F4}  mean|Δ| {Mean:F5}  argmax {ArgmaxAgreement:P1} of {RowsText}";

    private string RowsText => TieMargin == 0 ? $"{Rows} rows" : $"{Rows} rows (ties within {TieMargin})";

    public void Log(string what) =>
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: max|Δ| {Max:G4}, mean|Δ| {Mean:G4}, argmax {ArgmaxAgreement:P1} of {RowsText}");

    public void AssertWithin(double max, double mean, double argmax, string what)
    {
        Log(what);
        Assert.True(Max <= max, $"{what}: max|Δ| {Max:G4} > {max}");
        Assert.True(Mean <= mean, $"{what}: mean|Δ| {Mean:G4} > {mean}");
        Assert.True(ArgmaxAgreement >= argmax, $"{what}: argmax agreement {ArgmaxAgreement:P1} < {argmax:P0}");
    }
}
