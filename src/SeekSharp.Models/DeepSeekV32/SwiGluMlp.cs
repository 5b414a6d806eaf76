using SeekSharp.Core.Numerics;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>down(bf16(silu(fp32 gate(x)) · fp32 up(x))): the dense FFN, each routed expert and the shared expert.</summary>
public static class SwiGluMlp
{
    /// <param name="x">[rows, hidden]</param>
    /// <param name="y">[rows, hidden] bf16 values</param>
    public static void Forward(ForwardContext ctx, MlpWeights w, ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        var inner = w.Gate.Out;
        var gate = new float[rows * inner];                  // [rows, inner]
        var up = new float[rows * inner];
        ctx.Linear(w.Gate, x, rows, gate);
        ctx.Linear(w.Up, x, rows, up);
        for (var i = 0; i < gate.Length; i++)
        {
            var g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
        BFloat16Math.RoundInPlace(gate);
        ctx.Linear(w.Down, gate, rows, y);
    }
}
