using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Core.Compute.Lockstep;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Compute;

/// <summary>The lockstep device compares an MLA op's lse with the output when the caller asks for one, and only then.</summary>
public sealed class LockstepLseTests
{
    private static readonly MlaShape s_shape = new(Heads: 2, Nope: 8, Rope: 4, V: 8, KvLora: 16, SoftmaxScale: 0.3f);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MlaPrefillComparesTheLseOnlyWhenAskedFor(bool withLse)
    {
        const int tokens = 3, width = 2;
        var shape = s_shape;
        using var d = new LockstepDevice(new HostDevice(new ScalarBackend(), true), new HostDevice(new ScalarBackend(), true), ownsDevices: true);
        using var q = Upload(d, Wave(tokens * shape.Heads * shape.QkDim, 0.1f));
        using var kvb = Upload(d, Wave(tokens * shape.Heads * shape.KvBDim, -0.05f));
        using var ropeKeys = Upload(d, Wave(tokens * shape.Rope, 0.2f));
        using var indices = d.Allocate(DType.I32, tokens * width);
        d.Upload<int>([-1, -1, 0, 1, 2, -1], indices);   // row 0 attends nothing: its lse is -inf on both sides
        using var output = d.Allocate(DType.F32, tokens * shape.Heads * shape.V);
        using var lse = withLse ? d.Allocate(DType.F32, tokens * shape.Heads) : null;

        d.MlaPrefill(q, kvb, ropeKeys, indices, width, tokens, shape, output, lse);

        var compared = d.Discrepancies.Where(x => x.Op == "mla_prefill").ToArray();
        Assert.Equal(withLse ? ["output", "lse"] : ["output"], compared.Select(x => x.Output));
        Assert.All(compared, x => Assert.Equal(0, x.NormalisedError));
        if (lse is null) return;
        var values = new float[lse.Length];
        d.Download<float>(lse, 0, values);
        Assert.Equal(float.NegativeInfinity, values[0]);
        Assert.True(float.IsFinite(values[shape.Heads]));
    }

    [Fact]
    public void MlaAbsorbedPagedComparesEachRunsLse()
    {
        var shape = s_shape;
        using var d = new LockstepDevice(new HostDevice(new ScalarBackend(), true), new HostDevice(new ScalarBackend(), true), ownsDevices: true);
        int[] rowSequences = [0, 1], rowPositions = [2, 5];
        using var rows = PagedRows.Create(d, rowSequences, rowPositions, [1, 0, 0, 2], 2, 4);   // 2 sequences × 2 blocks of 4
        using var q = Upload(d, Wave(2 * shape.Heads * shape.QkDim, 0.1f));
        using var wkvb = Upload(d, Wave(shape.Heads * shape.KvBDim * shape.KvLora, 0.01f));
        using var latent = Upload(d, Wave(12 * shape.KvLora, -0.02f));
        using var ropeKeys = Upload(d, Wave(12 * shape.Rope, 0.05f));
        using var output = d.Allocate(DType.F32, 2 * shape.Heads * shape.V);
        using var lse = d.Allocate(DType.F32, 2 * shape.Heads);

        ((IComputeDevice)d).MlaAbsorbedPaged(q, wkvb, latent, ropeKeys, null, 0, rows, shape, output, lse);   // the interface's default

        // the default paged op runs one contiguous call per sequence through the lockstep device: two compared lse
        var compared = d.Discrepancies.Where(x => x.Op == "mla_absorbed" && x.Output == "lse").ToArray();
        Assert.Equal(2, compared.Length);
        Assert.All(compared, x => Assert.Equal(0, x.NormalisedError));
    }

    /// <summary>bf16 values of a sine wave of amplitude 10 · step.</summary>
    private static float[] Wave(int count, float step)
    {
        var x = new float[count];
        for (var i = 0; i < count; i++) x[i] = BFloat16Math.Round(MathF.Sin(i * 0.7f) * step * 10);
        return x;
    }

    private static DeviceBuffer Upload(IComputeDevice d, float[] values)
    {
        var buffer = d.Allocate(DType.F32, values.Length);
        d.Upload<float>(values, buffer);
        return buffer;
    }
}
