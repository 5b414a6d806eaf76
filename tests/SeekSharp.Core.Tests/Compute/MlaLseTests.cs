using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Compute;

/// <summary>
/// The CPU reference's MLA log-sum-exp against a plain restatement in double: lse[i, h] = ln Σ_j exp(s_j) over the keys
/// row i attends (its selection up to the -1 padding, or every position up to its own), -inf for a row without keys.
/// </summary>
public sealed class MlaLseTests : IDisposable
{
    // fp32 scores and sums against double, normalised by max(1, |lse|): up to 6e-8 seen on these operands
    private const double Tolerance = 1e-6;

    private static readonly MlaShape s_shape = new(Heads: 3, Nope: 16, Rope: 8, V: 16, KvLora: 32, SoftmaxScale: 0.2f);

    private readonly IComputeDevice _device = new HostDevice(new ScalarBackend(), ownsBackend: true);   // the paged op is the interface's default
    private readonly List<DeviceBuffer> _owned = [];
    private readonly Random _random = new(41);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MlaPrefillLseIsTheLogSumExpOfTheScaledScores(bool sparse)
    {
        const int tokens = 6, width = 4;
        var shape = s_shape;
        int heads = shape.Heads, qk = shape.QkDim, kvWidth = shape.KvBDim;
        var q = Values(tokens * heads * qk);
        var kvb = Values(tokens * heads * kvWidth);
        var ropeKeys = Values(tokens * shape.Rope);
        // row 0 selects nothing; rows 1, 2 see fewer than 4 keys (-1 padding)
        var indices = sparse ? Selection(tokens, 0, width, emptyRow: 0) : null;
        var (output, lseBuffer) = (New(tokens * heads * shape.V), New(tokens * heads));
        _device.MlaPrefill(Upload(q), Upload(kvb), Upload(ropeKeys), indices is null ? null : Upload(indices), width, tokens, shape,
            output, lseBuffer);
        var lse = Read(lseBuffer);

        for (var i = 0; i < tokens; i++)
            for (var h = 0; h < heads; h++)
            {
                var scores = new List<double>();
                foreach (var s in KeysOf(indices, width, i, i))
                {
                    double dot = 0;
                    for (var d = 0; d < shape.Nope; d++) dot += (double)q[(i * heads + h) * qk + d] * kvb[(s * heads + h) * kvWidth + d];
                    for (var r = 0; r < shape.Rope; r++) dot += (double)q[(i * heads + h) * qk + shape.Nope + r] * ropeKeys[s * shape.Rope + r];
                    scores.Add(dot * shape.SoftmaxScale);
                }
                AssertLse(LogSumExp(scores), lse[i * heads + h], $"prefill row {i} head {h}");
            }
        if (sparse) Assert.Equal(float.NegativeInfinity, lse[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MlaAbsorbedLseIsTheLogSumExpOfTheScaledScores(bool sparse)
    {
        const int tokens = 4, startPos = 3, width = 6;
        var shape = s_shape;
        var end = startPos + tokens;
        var q = Values(tokens * shape.Heads * shape.QkDim);
        var wkvb = Values(shape.Heads * shape.KvBDim * shape.KvLora, 0.25f);
        var latent = Values(end * shape.KvLora);
        var ropeKeys = Values(end * shape.Rope);
        // row 0 (position 3) sees 4 keys: -1 padding; row 1 selects nothing
        var indices = sparse ? Selection(tokens, startPos, width, emptyRow: 1) : null;
        var (output, lseBuffer) = (New(tokens * shape.Heads * shape.V), New(tokens * shape.Heads));
        _device.MlaAbsorbed(Upload(q), Upload(wkvb), Upload(latent), Upload(ropeKeys), indices is null ? null : Upload(indices), width,
            tokens, startPos, shape, output, lseBuffer);
        var lse = Read(lseBuffer);

        for (var i = 0; i < tokens; i++)
            for (var h = 0; h < shape.Heads; h++)
            {
                var keys = KeysOf(indices, width, i, startPos + i);
                AssertLse(AbsorbedLse(q, wkvb, latent, ropeKeys, shape, i, h, keys), lse[i * shape.Heads + h], $"absorbed row {i} head {h}");
            }
        if (sparse) Assert.Equal(float.NegativeInfinity, lse[shape.Heads]);
    }

    /// <summary>
    /// Paged rows of two sequences over a shuffled pool (the CPU runs them through PagedFallback, one run per sequence):
    /// each row's lse is that of its own sequence's keys, found through the block table.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MlaAbsorbedPagedLseIsTheLogSumExpOfEachRowsSequence(bool sparse)
    {
        const int blockSize = 4, width = 5;
        var shape = s_shape;
        int[] rowSequences = [0, 0, 1], rowPositions = [5, 6, 9];
        int[] blockTable = [4, 1, 0, 3, 5, 2];   // [2 sequences, 3 blocks]; the first run does not start at pool block 0
        var poolRows = 6 * blockSize;
        var tokens = rowSequences.Length;
        var q = Values(tokens * shape.Heads * shape.QkDim);
        var wkvb = Values(shape.Heads * shape.KvBDim * shape.KvLora, 0.25f);
        var latent = Values(poolRows * shape.KvLora);
        var ropeKeys = Values(poolRows * shape.Rope);
        int[]? indices = null;
        if (sparse)
        {
            indices = new int[tokens * width];
            for (var i = 0; i < tokens; i++)
            {
                var pick = Enumerable.Range(0, rowPositions[i] + 1).OrderBy(_ => _random.Next()).Take(width - i % 2).Order().ToArray();
                for (var j = 0; j < width; j++) indices[i * width + j] = j < pick.Length ? pick[j] : -1;
            }
        }
        using var rows = PagedRows.Create(_device, rowSequences, rowPositions, blockTable, 3, blockSize);
        var (output, lseBuffer) = (New(tokens * shape.Heads * shape.V), New(tokens * shape.Heads));
        _device.MlaAbsorbedPaged(Upload(q), Upload(wkvb), Upload(latent), Upload(ropeKeys), indices is null ? null : Upload(indices),
            width, rows, shape, output, lseBuffer);
        var lse = Read(lseBuffer);

        for (var i = 0; i < tokens; i++)
        {
            var seq = rowSequences[i];
            var poolKeys = KeysOf(indices, width, i, rowPositions[i])
                .Select(p => blockTable[seq * 3 + p / blockSize] * blockSize + p % blockSize).ToArray();
            for (var h = 0; h < shape.Heads; h++)
                AssertLse(AbsorbedLse(q, wkvb, latent, ropeKeys, shape, i, h, poolKeys), lse[i * shape.Heads + h], $"paged row {i} head {h}");
        }
    }

    [Fact]
    public void AWrongLseBufferIsRefusedNamingTheOpAndArgument()
    {
        var shape = s_shape;
        var q = Upload(Values(2 * shape.Heads * shape.QkDim));
        var kvb = Upload(Values(2 * shape.Heads * shape.KvBDim));
        var ropeKeys = Upload(Values(2 * shape.Rope));
        var output = New(2 * shape.Heads * shape.V);
        var shortLse = New(2 * shape.Heads - 1);
        var intLse = Upload(new int[2 * shape.Heads]);
        var e = Assert.Throws<ArgumentException>(() => _device.MlaPrefill(q, kvb, ropeKeys, null, 0, 2, shape, output, shortLse));
        Assert.Contains("mla_prefill: lse", e.Message);
        e = Assert.Throws<ArgumentException>(() => _device.MlaPrefill(q, kvb, ropeKeys, null, 0, 2, shape, output, intLse));
        Assert.Contains("mla_prefill: lse", e.Message);
    }

    /// <summary>ln Σ exp(s_j) of the absorbed form for row i, head h: q̂ = bf16(W_UKᵀ q_nope) (the op's definition), in double otherwise.</summary>
    private static double AbsorbedLse(float[] q, float[] wkvb, float[] latent, float[] ropeKeys, MlaShape shape, int i, int h,
        IEnumerable<int> keyRows)
    {
        int qk = shape.QkDim, lora = shape.KvLora;
        var qRow = (i * shape.Heads + h) * qk;
        var qAbs = new double[lora];
        for (var c = 0; c < lora; c++)
        {
            double acc = 0;
            for (var d = 0; d < shape.Nope; d++) acc += (double)wkvb[(h * shape.KvBDim + d) * lora + c] * q[qRow + d];
            qAbs[c] = BFloat16Math.Round((float)acc);
        }
        var scores = new List<double>();
        foreach (var s in keyRows)
        {
            double dot = 0;
            for (var c = 0; c < lora; c++) dot += qAbs[c] * latent[s * lora + c];
            for (var r = 0; r < shape.Rope; r++) dot += (double)q[qRow + shape.Nope + r] * ropeKeys[s * shape.Rope + r];
            scores.Add(dot * shape.SoftmaxScale);
        }
        return LogSumExp(scores);
    }

    private static double LogSumExp(List<double> scores)
    {
        if (scores.Count == 0) return double.NegativeInfinity;
        var max = scores.Max();
        return max + Math.Log(scores.Sum(s => Math.Exp(s - max)));
    }

    private static void AssertLse(double expected, float actual, string what)
    {
        if (double.IsNegativeInfinity(expected))
        {
            Assert.True(float.IsNegativeInfinity(actual), $"{what}: no keys, expected -inf, got {actual}");
            return;
        }
        var error = Math.Abs(actual - expected) / Math.Max(1, Math.Abs(expected));
        Assert.True(error <= Tolerance, $"{what}: lse {actual}, double {expected} (normalised error {error:G3})");
    }

    /// <summary>Key positions of row i at position pos: its selection up to the first -1, or 0..pos.</summary>
    private static int[] KeysOf(int[]? indices, int width, int i, int pos) =>
        indices is null ? [.. Enumerable.Range(0, pos + 1)] : [.. indices.Skip(i * width).Take(width).TakeWhile(s => s >= 0)];

    /// <summary>Row i selects up to width random sorted positions ≤ startPos + i (-1 padded); row emptyRow selects none.</summary>
    private int[] Selection(int tokens, int startPos, int width, int emptyRow)
    {
        var rows = new int[tokens * width];
        rows.AsSpan().Fill(-1);
        for (var i = 0; i < tokens; i++)
        {
            if (i == emptyRow) continue;
            var pick = Enumerable.Range(0, startPos + i + 1).OrderBy(_ => _random.Next()).Take(width).Order().ToArray();
            pick.CopyTo(rows, i * width);
        }
        return rows;
    }


    /// <summary>bf16-valued Normal(0, scale) operands.</summary>
    private float[] Values(int count, float scale = 1f)
    {
        var x = new float[count];
        for (var i = 0; i < count; i++)
        {
            var normal = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
            x[i] = BFloat16Math.Round((float)(normal * scale));
        }
        return x;
    }

    private DeviceBuffer New(int count, DType dtype = DType.F32)
    {
        var buffer = _device.Allocate(dtype, count);
        _owned.Add(buffer);
        return buffer;
    }

    private DeviceBuffer Upload(float[] values)
    {
        var buffer = New(values.Length);
        _device.Upload<float>(values, buffer);
        return buffer;
    }

    private DeviceBuffer Upload(int[] values)
    {
        var buffer = New(values.Length, DType.I32);
        _device.Upload<int>(values, buffer);
        return buffer;
    }

    private float[] Read(DeviceBuffer buffer)
    {
        var values = new float[buffer.Length];
        _device.Download<float>(buffer, 0, values);
        return values;
    }

    public void Dispose()
    {
        foreach (var buffer in _owned) buffer.Dispose();
        _device.Dispose();
    }
}
