using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>Keeps the last forward's indexer scores, layer outputs and final hidden state.</summary>
public sealed class CollectingTrace(int layers) : IForwardTrace
{
    public float[][] Scores { get; } = new float[layers][];
    public float[][] LayerOutputs { get; } = new float[layers][];
    public float[]? Final { get; private set; }

    public void IndexScores(int layer, int startPos, int tokens, ReadOnlySpan<float> scores) => Scores[layer] = scores.ToArray();
    public void LayerOutput(int layer, ReadOnlySpan<float> hidden) => LayerOutputs[layer] = hidden.ToArray();
    public void FinalHidden(ReadOnlySpan<float> hidden) => Final = hidden.ToArray();
}
