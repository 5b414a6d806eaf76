using System.Runtime.InteropServices;
using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.OpTests;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// Programmatic dependent launch of the FP8 GEMV: chains of act_quant → GEMV → act_quant → GEMV give the same bits with
/// PDL on and off, eagerly and replayed from graphs captured either way.
/// </summary>
public sealed class DependentLaunchTests
{
    private const int Hidden = 4096, Inner = 2048, Outputs = 1024;   // In 4096 and 2048: up to 4 rows stay on the GEMV
    private const int Chains = 8;   // queued back to back, so a GEMV that read its codes early would see the last chain's

    [Fact]
    public void HopperWithADriverFrom12_3HasIt()
    {
        var context = CudaTestDevice.Get().Context;
        var (major, minor) = context.Driver.Version;
        var expected = context.Architecture.Major >= 9 && (major > 12 || (major == 12 && minor >= 3));
        Assert.Equal(expected, context.SupportsDependentLaunch);
        if (!expected) Assert.Throws<InvalidOperationException>(() => context.DependentLaunch = true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void GemvChainsGiveTheSameBitsWithAndWithoutIt(int rows)
    {
        var d = CudaTestDevice.Get();
        var context = d.Context;
        if (!context.SupportsDependentLaunch) Assert.Skip($"{d.Name} has no programmatic dependent launch (needs sm_90+ and a 12.3+ driver)");
        var data = new OpData(100 + rows);
        using var w1 = d.UploadLinear(data.Weight(DType.F8E4M3, Inner, Hidden, "w1"));
        using var w2 = d.UploadLinear(data.Weight(DType.F8E4M3, Outputs, Inner, "w2"));
        using var x = d.Allocate(DType.F32, (long)Chains * rows * Hidden);    // chain c: rows [c·rows, (c+1)·rows)
        using var h = d.Allocate(DType.F32, (long)Chains * rows * Inner);
        using var y = d.Allocate(DType.F32, (long)Chains * rows * Outputs);

        void RunChains()
        {
            for (var c = 0; c < Chains; c++)
            {
                d.Linear(w1, MatrixView.Dense(x, rows, Hidden, (long)c * rows * Hidden), MatrixView.Dense(h, rows, Inner, (long)c * rows * Inner),
                    roundToBf16: true, powerOfTwoScales: false);
                d.Linear(w2, MatrixView.Dense(h, rows, Inner, (long)c * rows * Inner), MatrixView.Dense(y, rows, Outputs, (long)c * rows * Outputs),
                    roundToBf16: true, powerOfTwoScales: false);
            }
        }

        int[] Run(Action queue)
        {
            d.Upload<float>(new float[y.Length], y);   // a run that writes nothing cannot match
            queue();
            var values = new float[y.Length];
            d.Download<float>(y, 0, values);
            return MemoryMarshal.Cast<float, int>(values).ToArray();
        }

        int[] Plain()
        {
            context.DependentLaunch = false;
            return Run(RunChains);
        }

        var saved = context.DependentLaunch;
        try
        {
            d.Upload<float>(data.Activations(x.Length), x);
            var expected = Plain();
            Assert.Contains(expected, bits => bits != 0);
            context.DependentLaunch = true;
            Assert.Equal(expected, Run(RunChains));

            foreach (var dependent in new[] { true, false })
            {
                context.DependentLaunch = dependent;
                using var graph = d.Capture(RunChains);
                for (var replay = 0; replay < 3; replay++)
                {
                    d.Upload<float>(data.Activations(x.Length), x);   // new inputs in the same buffers
                    expected = Plain();
                    Assert.Equal(expected, Run(() => d.Replay(graph)));
                }
            }
        }
        finally
        {
            context.DependentLaunch = saved;
        }
    }
}
