using SeekSharp.Core.Compute.Host;
using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>The in-memory real-width model `seek serve --real-width-layers` serves: real shapes, first layer dense, runs on the CPU.</summary>
public sealed class RealWidthModelTests
{
    [Fact]
    public void The_config_has_real_widths_the_first_layer_dense_and_the_given_vocabulary()
    {
        var config = RealWidthModel.Config(layers: 3, vocab: 3072);

        Assert.Equal((7168, 128, 256, 2048, 3072), (config.HiddenSize, config.NumAttentionHeads, config.NRoutedExperts, config.MoeIntermediateSize, config.VocabSize));
        Assert.True(config.IsFp8);
        Assert.False(config.IsMoeLayer(0));
        Assert.True(config.IsMoeLayer(1) && config.IsMoeLayer(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => RealWidthModel.Config(0, 3072));
    }

    [Fact]
    public void One_dense_real_width_layer_runs_on_the_cpu()
    {
        using var model = RealWidthModel.Create(layers: 1, vocab: 3072, new HostDevice(new CpuBackend(Math.Max(1, Environment.ProcessorCount))), ownsDevice: true);
        using var cache = model.NewCache();

        var logits = model.Forward([5, 6], cache);

        Assert.Equal(3072, logits.Length);
        Assert.All(logits, l => Assert.True(float.IsFinite(l)));
    }
}
