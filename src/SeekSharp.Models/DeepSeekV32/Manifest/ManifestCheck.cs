using SeekSharp.Core;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.Models.DeepSeekV32.Manifest;

/// <summary>
/// Compares <see cref="WeightManifest.Expected"/> with a checkpoint before any weight is loaded, and reports every
/// problem at once. MTP layers (model.layers.{n} with n ≥ num_hidden_layers) are allowed and ignored.
/// </summary>
public static class ManifestCheck
{
    /// <summary>Full check from the shard headers: presence, shapes, dtypes, FP8 scales, unexpected tensors.</summary>
    public static ManifestReport Compare(DeepSeekConfig config, IReadOnlyDictionary<string, TensorInfo> actual)
    {
        var expected = WeightManifest.Expected(config);
        var problems = new List<ManifestProblem>();
        long parameters = 0;
        var matched = 0;
        foreach (var e in expected)
        {
            parameters += e.ElementCount;
            if (actual.TryGetValue(e.Name, out var info))
            {
                matched++;
                CheckTensor(e, info, problems);
            }
            else
            {
                problems.Add(new(e.Name, ManifestProblemKinds.Missing, $"expected {ShapeText(e.Shape)} {DTypesText(e.AllowedDTypes)}"));
            }
            if (e.ScaleName is null) continue;
            if (actual.TryGetValue(e.ScaleName, out var scale))
            {
                matched++;
                CheckScale(e, scale, problems);
            }
            else
            {
                problems.Add(new(e.ScaleName, ManifestProblemKinds.MissingScale, $"FP8 weight {e.Name} needs its scale {ShapeText(e.ScaleShape!)} F32"));
            }
        }
        // expected names are distinct, so every actual name was matched exactly when the counts agree
        if (matched < actual.Count) AddUnexpected(config, expected, actual.Keys, problems);
        return new ManifestReport(problems, parameters);
    }

    /// <summary>Index-only check (names from model.safetensors.index.json, no headers): presence and unexpected names.</summary>
    public static ManifestReport Compare(DeepSeekConfig config, IReadOnlyCollection<string> names)
    {
        var present = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        var expected = WeightManifest.Expected(config);
        var problems = new List<ManifestProblem>();
        long parameters = 0;
        var matched = 0;
        foreach (var e in expected)
        {
            parameters += e.ElementCount;
            if (present.Contains(e.Name)) matched++;
            else problems.Add(new(e.Name, ManifestProblemKinds.Missing, $"expected {ShapeText(e.Shape)} {DTypesText(e.AllowedDTypes)}"));
            if (e.ScaleName is null) continue;
            if (present.Contains(e.ScaleName)) matched++;
            else problems.Add(new(e.ScaleName, ManifestProblemKinds.MissingScale, $"FP8 weight {e.Name} needs its scale"));
        }
        if (matched < present.Count) AddUnexpected(config, expected, present, problems);
        return new ManifestReport(problems, parameters);
    }

    private static void CheckTensor(ExpectedTensor e, TensorInfo info, List<ManifestProblem> problems)
    {
        if (!info.Shape.AsSpan().SequenceEqual(e.Shape))
            problems.Add(new(e.Name, ManifestProblemKinds.WrongShape, $"expected {ShapeText(e.Shape)}, found {info.ShapeText} in {Path.GetFileName(info.File)}"));
        if (!e.AllowedDTypes.Contains(info.DType))
            problems.Add(new(e.Name, ManifestProblemKinds.WrongDType, $"expected {DTypesText(e.AllowedDTypes)}, found {info.DType.SafetensorsName()} in {Path.GetFileName(info.File)}"));
    }

    private static void CheckScale(ExpectedTensor e, TensorInfo scale, List<ManifestProblem> problems)
    {
        if (!scale.Shape.AsSpan().SequenceEqual(e.ScaleShape))
            problems.Add(new(e.ScaleName!, ManifestProblemKinds.WrongScaleShape, $"expected {ShapeText(e.ScaleShape!)} for {ShapeText(e.Shape)} in 128×128 blocks, found {scale.ShapeText} in {Path.GetFileName(scale.File)}"));
        if (scale.DType != DType.F32)
            problems.Add(new(e.ScaleName!, ManifestProblemKinds.WrongDType, $"expected F32 (FP8 block scale), found {scale.DType.SafetensorsName()} in {Path.GetFileName(scale.File)}"));
    }

    /// <summary>Names the config does not explain (neither an expected tensor nor its scale, nor an MTP layer), sorted.</summary>
    private static void AddUnexpected(DeepSeekConfig config, IReadOnlyList<ExpectedTensor> expected, IEnumerable<string> names, List<ManifestProblem> problems)
    {
        var known = new HashSet<string>(expected.Count * 2, StringComparer.Ordinal);
        foreach (var e in expected)
        {
            known.Add(e.Name);
            if (e.ScaleName is not null) known.Add(e.ScaleName);
        }
        var unexpected = names.Where(name => !known.Contains(name) && !IsMtpLayer(name, config.NumHiddenLayers)).ToList();
        unexpected.Sort(StringComparer.Ordinal);
        foreach (var name in unexpected)
            problems.Add(new(name, ManifestProblemKinds.UnexpectedTensor, "not part of the model this config describes"));
    }

    /// <summary>model.layers.{n}.… with n ≥ num_hidden_layers: the MTP module(s), which this engine does not run.</summary>
    private static bool IsMtpLayer(string name, int layers)
    {
        const string Prefix = "model.layers.";
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var end = name.IndexOf('.', Prefix.Length);
        return end > Prefix.Length
            && int.TryParse(name.AsSpan(Prefix.Length, end - Prefix.Length), System.Globalization.NumberStyles.None, null, out var layer)
            && layer >= layers;
    }

    private static string ShapeText(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string DTypesText(IReadOnlyList<DType> types) => string.Join("|", types.Select(t => t.SafetensorsName()));
}
