using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Backend;

namespace SeekSharp.Models.DeepSeekV32.Weights;

/// <summary>MLA weights resident on the compute device.</summary>
public sealed record DeviceMlaWeights(
    DeviceLinear QA, DeviceBuffer QNorm, DeviceLinear QB, DeviceLinear KvA, DeviceBuffer KvNorm,
    DeviceLinear KvB,
    DeviceBuffer KvBDequantized,    // [heads, nope+v, kv_lora] bf16 values as the device's Bf16StorageType (absorbed form)
    DeviceLinear O);

public sealed record DeviceIndexerWeights(DeviceLinear QB, DeviceLinear K, DeviceBuffer KNormWeight, DeviceBuffer KNormBias, DeviceLinear WeightsProj);

public sealed record DeviceMlpWeights(DeviceLinear Gate, DeviceLinear Up, DeviceLinear Down);

/// <param name="Grouped">The routed experts prepared for the device's one-call path, or null when it loops over them.</param>
public sealed record DeviceMoeWeights(DeviceLinear Router, DeviceBuffer CorrectionBias, float[] CorrectionBiasHost,
    DeviceMlpWeights[] Experts, DeviceMlpWeights Shared, GroupedExperts? Grouped);

public sealed record DeviceLayerWeights(int Index, DeviceBuffer AttnNorm, DeviceBuffer FfnNorm, DeviceMlaWeights Attention,
    DeviceIndexerWeights? Indexer, DeviceMlpWeights? Dense, DeviceMoeWeights? Moe);

/// <summary>
/// The model's weights made resident on a device once (<see cref="IComputeDevice.UploadLinear"/> keeps FP8 as FP8;
/// the CPU device uses the mapped checkpoint in place). Disposing releases every device allocation.
/// </summary>
public sealed class DeviceWeights : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public DeviceWeights(IComputeDevice device, ModelWeights host, IProgress<double>? progress = null)
    {
        try
        {
            Embedding = Linear(device, host.Embedding);
            Head = Linear(device, host.Head);
            FinalNorm = Vector(device, host.FinalNorm);
            Layers = new DeviceLayerWeights[host.Layers.Length];
            for (var l = 0; l < Layers.Length; l++)
            {
                Layers[l] = Layer(device, host.Layers[l]);
                progress?.Report((l + 1.0) / Layers.Length);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public DeviceLinear Embedding { get; }
    public DeviceLinear Head { get; }
    public DeviceBuffer FinalNorm { get; }
    public DeviceLayerWeights[] Layers { get; }

    private DeviceLayerWeights Layer(IComputeDevice d, LayerWeights w)
    {
        var a = w.Attention;
        var attention = new DeviceMlaWeights(Linear(d, a.QA), Vector(d, a.QNorm), Linear(d, a.QB), Linear(d, a.KvA), Vector(d, a.KvNorm),
            Linear(d, a.KvB), Own(Bf16Storage.Upload(d, a.KvBDequantized)), Linear(d, a.O));
        var indexer = w.Indexer is { } i
            ? new DeviceIndexerWeights(Linear(d, i.QB), Linear(d, i.K), Vector(d, i.KNormWeight), Vector(d, i.KNormBias), Linear(d, i.WeightsProj))
            : null;
        var dense = w.Dense is { } m ? Mlp(d, m) : null;
        var moe = w.Moe is { } e ? Moe(d, e) : null;
        return new DeviceLayerWeights(w.Index, Vector(d, w.AttnNorm), Vector(d, w.FfnNorm), attention, indexer, dense, moe);
    }

    private DeviceMoeWeights Moe(IComputeDevice d, MoeWeights e)
    {
        var experts = e.Experts.Select(x => Mlp(d, x)).ToArray();
        var grouped = d.GroupExperts([.. experts.Select(x => x.Gate)], [.. experts.Select(x => x.Up)], [.. experts.Select(x => x.Down)]);
        if (grouped is not null) Own(grouped);
        return new DeviceMoeWeights(Linear(d, e.Router), Vector(d, e.CorrectionBias), e.CorrectionBias, experts, Mlp(d, e.Shared), grouped);
    }

    private DeviceMlpWeights Mlp(IComputeDevice d, MlpWeights m) => new(Linear(d, m.Gate), Linear(d, m.Up), Linear(d, m.Down));

    private DeviceLinear Linear(IComputeDevice d, LinearWeight w) => Own(d.UploadLinear(w));

    private DeviceBuffer Vector(IComputeDevice d, float[] values)
    {
        var buffer = Own(d.Allocate(DType.F32, values.Length));
        d.Upload<float>(values, buffer);
        return buffer;
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    public void Dispose()
    {
        foreach (var item in _owned) item.Dispose();
        _owned.Clear();
    }
}
