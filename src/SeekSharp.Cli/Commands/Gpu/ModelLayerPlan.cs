namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// How many MoE layers a real-width model can carry beside the real model's dense layers on one device: the free memory
/// less the dense-only model, the dense layers' caches and a reserve for a step's temporaries, divided by what one MoE
/// layer adds (its weights and its cache). At most the real model's count of MoE layers.
/// </summary>
public static class ModelLayerPlan
{
    public static int MoeLayersThatFit(long freeBytes, long denseModelBytes, int denseLayers, long moeLayerBytes,
        long cacheBytesPerLayer, long reserveBytes, int maxMoeLayers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(moeLayerBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheBytesPerLayer);
        var left = freeBytes - denseModelBytes - denseLayers * cacheBytesPerLayer - reserveBytes;
        return left <= 0 ? 0 : (int)Math.Min(maxMoeLayers, left / (moeLayerBytes + cacheBytesPerLayer));
    }

    /// <summary>
    /// The step time of the whole model from two measured models that differ only in their MoE layers: the dense-only
    /// model's step (dense layers, embedding, head, the step's host work) plus each missing MoE layer at the measured
    /// model's marginal cost per MoE layer.
    /// </summary>
    public static double Extrapolate(double denseOnlyMs, double measuredMs, int measuredMoeLayers, int targetMoeLayers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(measuredMoeLayers);
        return denseOnlyMs + (measuredMs - denseOnlyMs) * targetMoeLayers / measuredMoeLayers;
    }
}
