using System.Runtime.InteropServices;
using SeekSharp.Core;
using SeekSharp.IO;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.Models.Decisions;

/// <summary>
/// Decisions on disk: a safetensors file with <c>topk</c> int32 [tokens, layers, index_topk] (sorted ascending,
/// -1 padded) and <c>routing</c> int32 [tokens, moe_layers, experts_per_tok] (sorted); row t = position t.
/// </summary>
public static class DecisionLogFile
{
    public const string TopkTensor = "topk";
    public const string RoutingTensor = "routing";

    /// <summary>Writes rows for positions [0, tokens).</summary>
    public static void Save(DecisionLog log, int tokens, string path)
    {
        var topk = log.TopkRows(0, tokens);
        var routing = log.RoutingRows(0, tokens);
        SafetensorsWriter.Write(path,
        [
            new TensorToWrite(TopkTensor, DType.I32, [tokens, log.Layers, log.IndexTopk], MemoryMarshal.AsBytes(topk.AsSpan()).ToArray()),
            new TensorToWrite(RoutingTensor, DType.I32, [tokens, log.MoeLayers, log.ExpertsPerToken], MemoryMarshal.AsBytes(routing.AsSpan()).ToArray()),
        ]);
    }

    /// <summary>Reads a decision file into a log shaped like <paramref name="template"/>; shapes must agree.</summary>
    public static DecisionLog Load(string path, DecisionLog template)
    {
        using var file = SafetensorsFile.Open(path);
        var log = new DecisionLog(template.Layers, template.IndexTopk, template.MoeLayers, template.ExpertsPerToken);
        if (file.Tensors.ContainsKey(TopkTensor))
        {
            var info = Check(file, TopkTensor, template.Layers, template.IndexTopk);
            log.SetTopkRows(0, file.GetSpan<int>(TopkTensor)[..checked((int)info.ElementCount)]);
        }
        if (file.Tensors.ContainsKey(RoutingTensor) && template.MoeLayers > 0)
        {
            var info = Check(file, RoutingTensor, template.MoeLayers, template.ExpertsPerToken);
            log.SetRoutingRows(0, file.GetSpan<int>(RoutingTensor)[..checked((int)info.ElementCount)]);
        }
        return log;
    }

    private static TensorInfo Check(SafetensorsFile file, string name, long dim1, long dim2)
    {
        var info = file.GetInfo(name);
        if (info.DType != DType.I32 || info.Shape.Length != 3 || info.Shape[1] != dim1 || info.Shape[2] != dim2)
            throw new CheckpointFormatException(file.Path, name,
                $"expected int32 [tokens, {dim1}, {dim2}] for this model, got {info.DType} {info.ShapeText}");
        return info;
    }
}
