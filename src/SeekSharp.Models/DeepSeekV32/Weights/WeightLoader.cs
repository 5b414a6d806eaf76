using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;
using SeekSharp.IO;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.Models.DeepSeekV32.Weights;

/// <summary>
/// Binds HF tensor names to the forward pass's weights. Linear weights stay where they are (FP8 stays FP8,
/// pointing into the memory-mapped shards); only norms, biases and the absorbed kv_b copy are materialised.
/// Call after the manifest check, which guarantees names, shapes and dtypes.
/// </summary>
public static class WeightLoader
{
    public static ModelWeights Load(DeepSeekConfig config, SafetensorsCheckpoint checkpoint, IProgress<double>? progress = null)
    {
        var layers = new LayerWeights[config.NumHiddenLayers];
        for (var l = 0; l < layers.Length; l++)
        {
            layers[l] = LoadLayer(config, checkpoint, l);
            progress?.Report((l + 1) / (double)layers.Length);
        }
        return new ModelWeights(
            Linear(checkpoint, "model.embed_tokens.weight"),
            layers,
            Vector(checkpoint, "model.norm.weight"),
            Linear(checkpoint, "lm_head.weight"));
    }

    private static LayerWeights LoadLayer(DeepSeekConfig c, SafetensorsCheckpoint ck, int l)
    {
        var p = $"model.layers.{l}.";
        var kvB = Linear(ck, p + "self_attn.kv_b_proj.weight");
        var attention = new MlaWeights(
            Linear(ck, p + "self_attn.q_a_proj.weight"),
            Vector(ck, p + "self_attn.q_a_layernorm.weight"),
            Linear(ck, p + "self_attn.q_b_proj.weight"),
            Linear(ck, p + "self_attn.kv_a_proj_with_mqa.weight"),
            Vector(ck, p + "self_attn.kv_a_layernorm.weight"),
            kvB,
            DequantizeToBf16(kvB),
            Linear(ck, p + "self_attn.o_proj.weight"));

        IndexerWeights? indexer = null;
        if (c.HasIndexer)
        {
            indexer = new IndexerWeights(
                Linear(ck, p + "self_attn.indexer.wq_b.weight"),
                Linear(ck, p + "self_attn.indexer.wk.weight"),
                Vector(ck, p + "self_attn.indexer.k_norm.weight"),
                Vector(ck, p + "self_attn.indexer.k_norm.bias"),
                Linear(ck, p + "self_attn.indexer.weights_proj.weight"));
        }

        MlpWeights? dense = null;
        MoeWeights? moe = null;
        if (c.IsMoeLayer(l))
        {
            var experts = new MlpWeights[c.NRoutedExperts];
            for (var e = 0; e < experts.Length; e++) experts[e] = Mlp(ck, $"{p}mlp.experts.{e}.");
            moe = new MoeWeights(
                Linear(ck, p + "mlp.gate.weight"),
                Vector(ck, p + "mlp.gate.e_score_correction_bias"),
                experts,
                Mlp(ck, p + "mlp.shared_experts."));
        }
        else
        {
            dense = Mlp(ck, p + "mlp.");
        }

        return new LayerWeights(l,
            Vector(ck, p + "input_layernorm.weight"),
            Vector(ck, p + "post_attention_layernorm.weight"),
            attention, indexer, dense, moe);
    }

    private static MlpWeights Mlp(SafetensorsCheckpoint ck, string prefix) => new(
        Linear(ck, prefix + "gate_proj.weight"),
        Linear(ck, prefix + "up_proj.weight"),
        Linear(ck, prefix + "down_proj.weight"));

    /// <summary>A 2-D weight as a LinearWeight over the mapped bytes, with its FP8 scale when it has one.</summary>
    private static unsafe LinearWeight Linear(SafetensorsCheckpoint ck, string name)
    {
        var view = ck.GetView(name);
        var info = view.Info;
        if (info.Shape.Length != 2)
            throw new CheckpointFormatException(info.File, name, $"expected a 2-D weight, got shape {info.ShapeText}");
        var rows = checked((int)info.Shape[0]);
        var cols = checked((int)info.Shape[1]);
        float[]? scaleInv = null;
        if (info.DType == DType.F8E4M3)
        {
            var scaleName = name[..^"weight".Length] + "weight_scale_inv";
            if (!ck.Contains(scaleName))
                throw new CheckpointFormatException(info.File, name, $"FP8 weight has no scale tensor '{scaleName}'");
            scaleInv = Vector(ck, scaleName);
        }
        return LinearWeight.FromPointer(name, info.DType, rows, cols, (nint)view.Pointer, scaleInv, ck);
    }

    /// <summary>A 1-D (or any) float tensor widened to fp32.</summary>
    internal static float[] Vector(SafetensorsCheckpoint ck, string name)
    {
        var info = ck.GetInfo(name);
        var result = new float[checked((int)info.ElementCount)];
        switch (info.DType)
        {
            case DType.F32: ck.GetSpan<float>(name).CopyTo(result); break;
            case DType.BF16: BFloat16Math.ToFloat(ck.GetSpan<ushort>(name), result); break;
            case DType.F16:
                var half = ck.GetSpan<Half>(name);
                for (var i = 0; i < result.Length; i++) result[i] = (float)half[i];
                break;
            default: throw new CheckpointFormatException(info.File, name, $"expected a float tensor, got {info.DType}");
        }
        return result;
    }

    /// <summary>kv_b as bf16 values [rows, cols], as the reference's weight_dequant produces for the absorbed form.</summary>
    private static unsafe float[] DequantizeToBf16(LinearWeight w)
    {
        var result = new float[checked(w.Out * w.In)];
        var count = result.Length;
        switch (w.DType)
        {
            case DType.F8E4M3:
                WeightDequant.DequantizeToBf16(new ReadOnlySpan<byte>((void*)w.Data, count), w.ScaleInv!, w.Out, w.In, result);
                break;
            case DType.BF16:
                BFloat16Math.ToFloat(new ReadOnlySpan<ushort>((void*)w.Data, count), result);
                break;
            case DType.F32:
                new ReadOnlySpan<float>((void*)w.Data, count).CopyTo(result);
                BFloat16Math.RoundInPlace(result);
                break;
            default: throw new NotSupportedException($"{w.Name}: dtype {w.DType}");
        }
        return result;
    }
}
