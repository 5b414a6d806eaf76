using System.Text.Json;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.Decisions;
using SeekSharp.Testing;

namespace SeekSharp.Models.Tests.Golden;

/// <summary>The golden outputs of one tiny checkpoint (README §4), read from ../shared.</summary>
public sealed class GoldenModelData : IDisposable
{
    private readonly Dictionary<string, SafetensorsFile> _files = new();

    public GoldenModelData(string name)
    {
        Directory = SharedData.GoldenModel(name);
        using var tokens = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(Directory, "tokens.json")));
        var root = tokens.RootElement;
        foreach (var prompt in root.GetProperty("prompts").EnumerateObject())
            Prompts[prompt.Name] = prompt.Value.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        foreach (var p in root.GetProperty("decode_prefill_len").EnumerateObject())
            DecodePrefillLength[p.Name] = p.Value.GetInt32();
        GenerationSteps = root.GetProperty("n_gen").GetInt32();
    }

    public string Directory { get; }
    public Dictionary<string, int[]> Prompts { get; } = new();
    public Dictionary<string, int> DecodePrefillLength { get; } = new();
    public int GenerationSteps { get; }

    /// <summary>A float tensor of golden_{variant}.safetensors ("ref", "hf", "ref_dense", ...).</summary>
    public float[] Floats(string key, string variant = "ref") => File(variant).GetSpan<float>(key).ToArray();

    public int[] Ints(string key, string variant = "ref") => File(variant).GetSpan<int>(key).ToArray();

    public long[] Shape(string key, string variant = "ref") => File(variant).GetInfo(key).Shape;

    /// <summary>Decisions from golden top-k rows [rows, layers, K] and routing rows [rows, moe, k], rows starting at position first.</summary>
    public static void Load(DecisionLog log, int[]? topkRows, int topkFirst, int[]? routingRows, int routingFirst)
    {
        if (topkRows is not null) log.SetTopkRows(topkFirst, topkRows);
        if (routingRows is not null) log.SetRoutingRows(routingFirst, routingRows);
    }

    private SafetensorsFile File(string variant)
    {
        lock (_files)
        {
            if (!_files.TryGetValue(variant, out var file))
                _files[variant] = file = SafetensorsFile.Open(Path.Combine(Directory, $"golden_{variant}.safetensors"));
            return file;
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values) file.Dispose();
    }
}
