using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Core.Compute.Lockstep;
using SeekSharp.Cpu;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>The SIMD CPU device against the scalar oracle device, op by op through a whole forward pass of the demo model.</summary>
public sealed class LockstepCpuTests(ITestOutputHelper output)
{
    [Fact]
    public void SimdDeviceMatchesScalarDeviceOpByOp()
    {
        var config = DeepSeekConfig.Parse(SyntheticConfigs.Demo, "demo");
        var weights = InMemoryRandomWeights.Create(config, seed: 5);
        using var scalar = new HostDevice(new ScalarBackend(), ownsBackend: true);
        using var simd = new HostDevice(new CpuBackend(Environment.ProcessorCount), ownsBackend: true);
        var lockstep = new LockstepDevice(scalar, simd);
        var tokens = Enumerable.Range(0, 45).Select(i => (i * 37 + 3) % config.VocabSize).ToArray();
        using (var model = new DeepSeekV32Model(config, weights, lockstep))
        {
            using var cache = model.NewCache();
            model.Forward(tokens.AsSpan(0, 40), cache, allRows: true);
            for (var i = 40; i < tokens.Length; i++) model.Forward(tokens.AsSpan(i, 1), cache);
        }

        foreach (var g in lockstep.Discrepancies.GroupBy(d => d.Op.Split(' ')[0] + "." + d.Output))
            output.WriteLine($"{g.Key}: {g.Count()} calls, worst {g.MaxBy(d => d.DType == DType.F32 ? d.NormalisedError : d.Mismatches)}");
        Assert.True(lockstep.Discrepancies.Count > 100);
        Assert.All(lockstep.Discrepancies.Where(d => d.DType != DType.F32), d => Assert.Equal(0, d.Mismatches));
        Assert.All(lockstep.Discrepancies.Where(d => d.DType == DType.F32), d => Assert.True(d.NormalisedError <= 1.0 / 128, d.ToString()));
    }
}
