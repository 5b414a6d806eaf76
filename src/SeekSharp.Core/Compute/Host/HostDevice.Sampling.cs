using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Compute.Host;

public sealed partial class HostDevice
{
    public void SampleRows(DeviceBuffer logits, int rows, int vocab, ReadOnlySpan<RowSampling> settings, DeviceBuffer ids)
    {
        if (settings.Length < rows) throw new ArgumentException($"sample_rows: {settings.Length} settings for {rows} rows", nameof(settings));
        float[] l = Host(logits).Floats;
        int[] result = Host(ids).Ints;
        for (var r = 0; r < rows; r++) result[r] = SampleRow(l.AsSpan(r * vocab, vocab), settings[r]);
    }

    /// <summary>The definition in IComputeDevice.SampleRows, step by step (a sort; the CUDA kernel searches thresholds instead).</summary>
    private static int SampleRow(ReadOnlySpan<float> row, RowSampling s)
    {
        if (s.Temperature < 0 || float.IsNaN(s.Temperature)) throw new ArgumentOutOfRangeException(nameof(s), "temperature must be ≥ 0");
        if (s.Temperature == 0f) return ArgMaxOf(row);
        var max = float.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v / s.Temperature);
        var e = new float[row.Length];
        var sum = 0.0;
        for (var i = 0; i < row.Length; i++)
        {
            e[i] = SamplingMath.Exp(row[i] / s.Temperature - max);
            sum += e[i];
        }

        var keep = s.TopK > 0 ? Math.Min(s.TopK, row.Length) : row.Length;
        int[]? order = null;
        if (keep < row.Length || s.TopP < 1f)
        {
            order = new int[row.Length];
            for (var i = 0; i < order.Length; i++) order[i] = i;
            Array.Sort(order, (a, b) => e[a] != e[b] ? e[b].CompareTo(e[a]) : a.CompareTo(b));
            if (s.TopP < 1f)
            {
                var target = (double)s.TopP * sum;
                var mass = 0.0;
                for (var r = 0; r < keep; r++)
                {
                    mass += e[order[r]];
                    if (mass >= target) { keep = r + 1; break; }
                }
            }
        }

        var best = -1;
        var bestValue = 0.0;
        for (var r = 0; r < keep; r++)
        {
            var i = order is null ? r : order[r];
            if (e[i] <= 0f) continue;
            var value = e[i] / SamplingMath.NegLog(SamplingMath.Uniform(s.Seed, s.Counter, i));
            if (best < 0 || value > bestValue || (value == bestValue && i < best)) { best = i; bestValue = value; }
        }
        return best < 0 ? ArgMaxOf(row) : best;
    }

    private static int ArgMaxOf(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }
}
