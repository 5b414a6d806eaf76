namespace SeekSharp.Models.Tests.Golden;

/// <summary>
/// Element-wise agreement of two [rows, cols] fp32 tensors: max|Δ|, mean|Δ| and per-row argmax agreement. With
/// <c>minMargin</c>, the argmax is compared only on rows whose expected top-two gap is at least that: a row whose two
/// best logits are closer than the rounding noise the max|Δ| bar allows flips on noise and says nothing about
/// correctness (the tiny golden has generation rows with gaps of 0.003 and 0.008).
/// </summary>
internal readonly record struct Agreement(double Max, double Mean, double ArgmaxAgreement, int Rows, int ArgmaxRows)
{
    public static Agreement Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int cols, double minMargin = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(cols > 0 && expected.Length % cols == 0, $"length {expected.Length} is not a multiple of {cols}");
        double max = 0, sum = 0;
        var rows = expected.Length / cols;
        var sameArgmax = 0;
        var argmaxRows = 0;
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
            if (Margin(e) < minMargin) continue;
            argmaxRows++;
            if (Argmax(e) == Argmax(a)) sameArgmax++;
        }
        return new Agreement(max, sum / expected.Length, argmaxRows == 0 ? 1.0 : (double)sameArgmax / argmaxRows, rows, argmaxRows);
    }

    /// <summary>The gap between the two largest values of a row.</summary>
    public static double Margin(ReadOnlySpan<float> row)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (var v in row)
        {
            if (v > first) (first, second) = (v, first);
            else if (v > second) second = v;
        }
        return (double)first - second;
    }

    /// <summary>Index of the largest value, lowest index on ties (the golden's greedy rule).</summary>
    public static int Argmax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    public override string ToString() => $"max|Δ| {Max:F4}  mean|Δ| {Mean:F5}  argmax {ArgmaxAgreement:P1} of {ArgmaxRowsText}";

    private string ArgmaxRowsText => ArgmaxRows == Rows ? $"{Rows} rows" : $"{ArgmaxRows} clear rows ({Rows} in all)";

    public void Log(string what) =>
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: max|Δ| {Max:G4}, mean|Δ| {Mean:G4}, argmax {ArgmaxAgreement:P1} of {ArgmaxRowsText}");

    public void AssertWithin(double max, double mean, double argmax, string what)
    {
        Log(what);
        Assert.True(Max <= max, $"{what}: max|Δ| {Max:G4} > {max}");
        Assert.True(Mean <= mean, $"{what}: mean|Δ| {Mean:G4} > {mean}");
        Assert.True(ArgmaxAgreement >= argmax, $"{what}: argmax agreement {ArgmaxAgreement:P1} < {argmax:P0}");
    }
}
