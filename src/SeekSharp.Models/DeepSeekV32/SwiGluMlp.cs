using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>down(bf16(silu(fp32 gate(x)) · fp32 up(x))): the dense FFN, each routed expert and the shared expert.</summary>
public static class SwiGluMlp
{
    /// <param name="x">[rows, hidden]</param>
    /// <param name="y">[rows, hidden] bf16 values</param>
    public static void Forward(ForwardContext ctx, DeviceMlpWeights w, DeviceBuffer x, int rows, DeviceBuffer y)
    {
        var inner = w.Gate.Out;
        var gate = ctx.Temp(DType.F32, (long)rows * inner);              // [rows, inner]
        var up = ctx.Temp(DType.F32, (long)rows * inner);
        ctx.Linear(w.Gate, x, rows, gate);
        ctx.Linear(w.Up, x, rows, up);
        ctx.Device.SiluMul(gate, up, rows * inner);
        ctx.Linear(w.Down, gate, rows, y);
    }
}
