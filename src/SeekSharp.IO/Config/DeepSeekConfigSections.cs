namespace SeekSharp.IO.Config;

/// <summary>
/// `rope_scaling` of config.json: YaRN context extension (the only scaling DeepSeek-V3/V3.2 use).
/// Every value is read from the file; the reference code and HF disagree on some defaults (mscale_all_dim), so none is guessed.
/// </summary>
/// <param name="Type">Always "yarn" (read from `type`, or from `rope_type` in newer HF files).</param>
/// <param name="Factor">Context extension factor s (40 for V3.2).</param>
/// <param name="OriginalMaxPositionEmbeddings">Pre-extension context length (4096 for V3.2).</param>
/// <param name="BetaFast">Rotations above which a frequency is kept unscaled (32).</param>
/// <param name="BetaSlow">Rotations below which a frequency is fully interpolated (1).</param>
/// <param name="Mscale">YaRN attention-temperature coefficient (1.0).</param>
/// <param name="MscaleAllDim">HF's coefficient for the softmax-scale correction (1.0).</param>
public sealed record YarnScaling(
    string Type,
    double Factor,
    int OriginalMaxPositionEmbeddings,
    double BetaFast,
    double BetaSlow,
    double Mscale,
    double MscaleAllDim);

/// <summary>
/// `quantization_config` of the FP8 checkpoints: e4m3 weights with one `weight_scale_inv` per 128×128 block,
/// activations quantised on the fly. Other values are rejected on load, so these are the only ones a config can hold.
/// </summary>
/// <param name="QuantMethod">"fp8".</param>
/// <param name="Fmt">"e4m3".</param>
/// <param name="ActivationScheme">"dynamic".</param>
/// <param name="ScaleFmt">"ue8m0" (scales are powers of two, activation scales rounded up to one) or null (plain amax/448).</param>
/// <param name="WeightBlockSize">[128, 128]: rows × columns of a weight block sharing one scale.</param>
public sealed record Fp8Quantization(string QuantMethod, string Fmt, string ActivationScheme, string? ScaleFmt, BlockSize WeightBlockSize)
{
    /// <summary>The one configuration DeepSeek-V3/V3.2 ship, with the given scale format.</summary>
    public static Fp8Quantization DeepSeek(string? scaleFmt) => new("fp8", "e4m3", "dynamic", scaleFmt, new BlockSize(128, 128));
}

/// <summary>A quantisation block: <paramref name="Rows"/> output features × <paramref name="Cols"/> input features.</summary>
public readonly record struct BlockSize(int Rows, int Cols);
