using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Cuda.Tests;

/// <summary>CudaDevice.Capture / Replay: recorded work runs only on replay, re-reads its inputs, and a host wait fails cleanly.</summary>
public sealed class CudaGraphTests
{
    [Fact]
    public void ReplayRunsTheRecordedOpsOnTheCurrentInputs()
    {
        var d = CudaTestDevice.Get();
        const int n = 1000;
        using var a = d.Allocate(DType.F32, n);
        using var b = d.Allocate(DType.F32, n);
        using var sum = d.Allocate(DType.F32, n);
        d.Upload<float>(Enumerable.Range(0, n).Select(i => i * 0.5f).ToArray(), a);
        d.Upload<float>(Enumerable.Range(0, n).Select(i => 1f - i).ToArray(), b);

        using var graph = d.Capture(() => d.AddRound(a, b, sum, n));
        Assert.All(Download(d, sum), v => Assert.Equal(0f, v));   // capture records, it does not run

        d.Replay(graph);
        Assert.Equal(Enumerable.Range(0, n).Select(i => BFloat16Math.Round(i * 0.5f + 1f - i)), Download(d, sum));

        d.Upload<float>(Enumerable.Repeat(2f, n).ToArray(), a);     // new inputs in the same buffers
        d.Replay(graph);
        Assert.Equal(Enumerable.Range(0, n).Select(i => BFloat16Math.Round(2f + 1f - i)), Download(d, sum));
    }

    [Fact]
    public void PagedAttentionReplaysBitForBitWithItsOwnTemporaries()
    {
        var d = CudaTestDevice.Get();
        var shape = new MlaShape(128, 128, 64, 128, 512, 0.0723f);
        var random = new Random(5);
        float[] Values(long count) => Enumerable.Range(0, (int)count).Select(_ => BFloat16Math.Round((float)(random.NextDouble() * 2 - 1))).ToArray();
        const int sequences = 3, blocks = 40, width = 256;
        using var q = Upload(d, Values((long)sequences * shape.Heads * shape.QkDim));
        using var wkvb = Upload(d, Values((long)shape.Heads * shape.KvBDim * shape.KvLora));
        using var latent = Upload(d, Values((long)blocks * 64 * shape.KvLora));
        using var rope = Upload(d, Values((long)blocks * 64 * shape.Rope));
        var selected = new int[sequences * width];
        for (var s = 0; s < sequences; s++)
            for (var j = 0; j < width; j++) selected[s * width + j] = j * 3;   // positions 0..765, ascending
        using var indices = d.Allocate(DType.I32, selected.Length);
        d.Upload<int>(selected, indices);
        int[] table = [.. Enumerable.Range(0, sequences * 13).Select(i => (i * 7) % blocks)];
        using var rows = PagedRows.Create(d, [0, 1, 2], [800, 799, 830], table, 13, 64);
        using var eager = d.Allocate(DType.F32, (long)sequences * shape.Heads * shape.V);
        using var replayed = d.Allocate(DType.F32, eager.Length);

        d.MlaAbsorbedPaged(q, wkvb, latent, rope, indices, width, rows, shape, eager);
        using var graph = d.Capture(() => d.MlaAbsorbedPaged(q, wkvb, latent, rope, indices, width, rows, shape, replayed));
        using (var other = d.Allocate(DType.F32, 1 << 20)) d.Upload<float>(Values(1 << 20), other);   // reuse of freed blocks must not reach the graph's
        d.Replay(graph);
        d.Replay(graph);
        Assert.Equal(Download(d, eager), Download(d, replayed));
    }

    [Fact]
    public void AHostWaitInsideCaptureFailsAndLeavesTheDeviceUsable()
    {
        var d = CudaTestDevice.Get();
        using var x = d.Allocate(DType.F32, 16);
        var error = Assert.ThrowsAny<Exception>(() => d.Capture(() => d.Download<float>(x, 0, new float[16])));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        d.Upload<float>(Enumerable.Repeat(3f, 16).ToArray(), x);
        Assert.All(Download(d, x), v => Assert.Equal(3f, v));
    }

    private static DeviceBuffer Upload(CudaDevice d, float[] values)
    {
        var buffer = d.Allocate(DType.F32, values.Length);
        d.Upload<float>(values, buffer);
        return buffer;
    }

    private static float[] Download(CudaDevice d, DeviceBuffer buffer)
    {
        var values = new float[buffer.Length];
        d.Download<float>(buffer, 0, values);
        return values;
    }
}
