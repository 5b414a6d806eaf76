using System.Text;
using SeekSharp.Core;
using SeekSharp.IO;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.Models.DeepSeekV32.Manifest;

public enum ManifestProblemKind { Missing, UnexpectedTensor, WrongShape, WrongDType, MissingScale, WrongScaleShape, WrongScaleDType }

public sealed record ManifestProblem(string Tensor, ManifestProblemKind Kind, string Detail)
{
    public override string ToString() => $"{Kind}: {Tensor}: {Detail}";
}

/// <summary>All differences between what the config implies and what the checkpoint holds, found at once.</summary>
public sealed class ManifestReport(IReadOnlyList<ManifestProblem> problems, long parameterCount)
{
    public IReadOnlyList<ManifestProblem> Problems { get; } = problems;
    public bool Ok => Problems.Count == 0;

    /// <summary>Elements of every expected tensor (scales excluded).</summary>
    public long ParameterCount { get; } = parameterCount;

    public string Describe(int limit = 50)
    {
        if (Ok) return "manifest OK";
        var text = new StringBuilder($"{Problems.Count} manifest problem(s):");
        foreach (var p in Problems.Take(limit)) text.Append("\n  ").Append(p);
        if (Problems.Count > limit) text.Append($"\n  ... and {Problems.Count - limit} more");
        return text.ToString();
    }

    public void ThrowIfFailed(string checkpointPath)
    {
        if (!Ok) throw new CheckpointFormatException(checkpointPath, null, Describe());
    }
}

/// <summary>Compares the weight manifest with a checkpoint's headers (or only its index names) before loading.</summary>
public static class ManifestCheck
{
    /// <summary>Full check: presence, shapes, dtypes and FP8 scales from the shard headers.</summary>
    public static ManifestReport Compare(DeepSeekConfig config, IReadOnlyDictionary<string, TensorInfo> actual)
    {
        var problems = new List<ManifestProblem>();
        var expected = WeightManifest.Expected(config);
        var known = new HashSet<string>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var e in expected)
        {
            known.Add(e.Name);
            parameters += ElementCount(e.Shape);
            if (e.ScaleName is not null) known.Add(e.ScaleName);
            if (!actual.TryGetValue(e.Name, out var info))
            {
                problems.Add(new(e.Name, ManifestProblemKind.Missing, $"expected {Shape(e.Shape)} {string.Join("|", e.AllowedDTypes)}"));
                continue;
            }
            if (!info.Shape.SequenceEqual(e.Shape))
                problems.Add(new(e.Name, ManifestProblemKind.WrongShape, $"expected {Shape(e.Shape)}, found {info.ShapeText} in {Path.GetFileName(info.File)}"));
            if (!e.AllowedDTypes.Contains(info.DType))
                problems.Add(new(e.Name, ManifestProblemKind.WrongDType, $"expected {string.Join("|", e.AllowedDTypes)}, found {info.DType} in {Path.GetFileName(info.File)}"));
            if (e.ScaleName is null) continue;
            if (!actual.TryGetValue(e.ScaleName, out var scale))
                problems.Add(new(e.ScaleName, ManifestProblemKind.MissingScale, $"FP8 weight {e.Name} needs its scale {Shape(e.ScaleShape!)} F32"));
            else
            {
                if (!scale.Shape.SequenceEqual(e.ScaleShape!))
                    problems.Add(new(e.ScaleName, ManifestProblemKind.WrongScaleShape, $"expected {Shape(e.ScaleShape!)}, found {scale.ShapeText}"));
                if (scale.DType != DType.F32)
                    problems.Add(new(e.ScaleName, ManifestProblemKind.WrongScaleDType, $"expected F32, found {scale.DType}"));
            }
        }
        AddUnexpected(config, actual.Keys, known, problems);
        return new ManifestReport(problems, parameters);
    }

    /// <summary>Index-only check (names, no headers): presence and unexpected names.</summary>
    public static ManifestReport CompareNames(DeepSeekConfig config, IReadOnlyCollection<string> names)
    {
        var set = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        var problems = new List<ManifestProblem>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var e in WeightManifest.Expected(config))
        {
            known.Add(e.Name);
            parameters += ElementCount(e.Shape);
            if (!set.Contains(e.Name)) problems.Add(new(e.Name, ManifestProblemKind.Missing, $"expected {Shape(e.Shape)}"));
            if (e.ScaleName is null) continue;
            known.Add(e.ScaleName);
            if (!set.Contains(e.ScaleName)) problems.Add(new(e.ScaleName, ManifestProblemKind.MissingScale, $"FP8 weight {e.Name} needs its scale"));
        }
        AddUnexpected(config, names, known, problems);
        return new ManifestReport(problems, parameters);
    }

    /// <summary>Names the config does not explain. MTP layers (index ≥ num_hidden_layers) are allowed and ignored.</summary>
    private static void AddUnexpected(DeepSeekConfig config, IEnumerable<string> names, HashSet<string> known, List<ManifestProblem> problems)
    {
        var unexpected = names.Where(name => !known.Contains(name) && !IsMtpLayer(name, config.NumHiddenLayers)).ToList();
        unexpected.Sort(StringComparer.Ordinal);
        foreach (var name in unexpected)
            problems.Add(new(name, ManifestProblemKind.UnexpectedTensor, "not part of the model this config describes"));
    }

    private static bool IsMtpLayer(string name, int layers)
    {
        const string prefix = "model.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var end = name.IndexOf('.', prefix.Length);
        return end > prefix.Length && int.TryParse(name.AsSpan(prefix.Length, end - prefix.Length), out var layer) && layer >= layers;
    }

    private static long ElementCount(long[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
