using SeekSharp.Core.Compute;
using SeekSharp.IO.Config;

namespace SeekSharp.Models.DeepSeekV32.Synthetic;

/// <summary>
/// An UNTRAINED DeepSeek-V3.2 at real width (<see cref="RealWidthConfig"/>: hidden 7168, 128 heads, 256 experts of 2048,
/// FP8 random weights from <see cref="InMemoryRandomWeights"/>) with a few layers, the first dense: serving and layer
/// figures at real dimensions without a checkpoint on disk (writing one would take minutes and tens of GB).
/// </summary>
public static class RealWidthModel
{
    public const int Seed = 32;

    /// <summary>The config: <paramref name="layers"/> layers (the first dense) over a vocabulary of <paramref name="vocab"/> ids.</summary>
    public static DeepSeekConfig Config(int layers, int vocab)
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "at least one layer");
        if (vocab < 2) throw new ArgumentOutOfRangeException(nameof(vocab), vocab, "at least two token ids");
        return DeepSeekConfig.Parse(RealWidthConfig.Json(layers, denseLayers: 1, vocab), $"real-width config ({layers} layers)");
    }

    /// <summary>Builds the weights in memory and puts them on <paramref name="device"/> (owned by the model when <paramref name="ownsDevice"/>).</summary>
    public static DeepSeekV32Model Create(int layers, int vocab, IComputeDevice device, bool ownsDevice = false, ModelOptions? options = null)
    {
        var config = Config(layers, vocab);
        try
        {
            return new DeepSeekV32Model(config, InMemoryRandomWeights.Create(config, Seed), device, options, ownsDevice: ownsDevice);
        }
        catch
        {
            if (ownsDevice) device.Dispose();
            throw;
        }
    }
}
