using System.Numerics.Tensors;

namespace SeekSharp.Core.Compute.Host;

// MoE routing and the token gather/scatter around each expert's FFN.
public sealed partial class HostDevice
{
    public void MoeRoute(DeviceBuffer logits, DeviceBuffer bias, int tokens, MoeRouting routing, DeviceBuffer? forced,
        DeviceBuffer ids, DeviceBuffer weights)
    {
        float[] l = Host(logits).Floats, b = Host(bias).Floats, w = Host(weights).Floats;
        int[] picked = Host(ids).Ints;
        var forcedIds = forced is null ? null : Host(forced).Ints;
        int e = routing.Experts, k = routing.PerToken;
        Span<float> sigmoid = stackalloc float[e];
        Span<float> biased = stackalloc float[e];
        for (var i = 0; i < tokens; i++)
        {
            var row = l.AsSpan(i * e, e);
            for (var x = 0; x < e; x++)
            {
                sigmoid[x] = 1f / (1f + MathF.Exp(-row[x]));
                biased[x] = sigmoid[x] + b[x];
            }
            var mine = picked.AsSpan(i * k, k);
            if (forcedIds is not null && forcedIds[i * k] >= 0) forcedIds.AsSpan(i * k, k).CopyTo(mine);
            else MoeSelection.Select(biased, routing, mine);
            mine.Sort();

            var total = 0f;
            for (var j = 0; j < k; j++)
            {
                w[i * k + j] = sigmoid[mine[j]];
                total += w[i * k + j];
            }
            for (var j = 0; j < k; j++)
            {
                if (routing.Normalize) w[i * k + j] /= total;
                w[i * k + j] *= routing.Scale;
            }
        }
    }

    public void GatherRows(DeviceBuffer x, DeviceBuffer rows, int rowsOffset, int count, int width, DeviceBuffer output)
    {
        float[] src = Host(x).Floats, dst = Host(output).Floats;
        int[] r = Host(rows).Ints;
        for (var i = 0; i < count; i++)
            src.AsSpan(r[rowsOffset + i] * width, width).CopyTo(dst.AsSpan(i * width, width));
    }

    public void ScatterAddScaled(DeviceBuffer y, DeviceBuffer rows, DeviceBuffer scales, int rowsOffset, int count, int width, DeviceBuffer sum)
    {
        float[] ys = Host(y).Floats, s = Host(sum).Floats, sc = Host(scales).Floats;
        int[] r = Host(rows).Ints;
        for (var i = 0; i < count; i++)
        {
            var target = s.AsSpan(r[rowsOffset + i] * width, width);
            TensorPrimitives.MultiplyAdd(ys.AsSpan(i * width, width), sc[rowsOffset + i], target, target);
        }
    }
}
