using System.Collections.Concurrent;
using System.Text.Json;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.Decisions;
using SeekSharp.Models.Reference;
using SeekSharp.Testing;

namespace SeekSharp.Models.Tests.Reference;

/// <summary>
/// One golden tiny model folder (shared/golden/model/NAME): config, the reference forward built on its checkpoint,
/// tokens.json and the golden_*.safetensors outputs. Loaded once per process and shared by the reference tests.
/// </summary>
internal sealed class ReferenceGolden
{
    private static readonly ConcurrentDictionary<string, Lazy<ReferenceGolden>> s_models = new();
    private readonly string _folder;
    private readonly ConcurrentDictionary<string, SafetensorsFile> _outputs = new();
    private readonly Lazy<ReferenceForward> _sparse;
    private readonly Lazy<ReferenceForward> _dense;

    private ReferenceGolden(string name)
    {
        _folder = SharedData.GoldenModel(name);
        Config = DeepSeekConfig.Load(Path.Combine(_folder, "config.json"));
        var checkpoint = SafetensorsCheckpoint.Open(_folder);   // kept open for the process: the weights are copied out, views are not
        _sparse = new(() => new ReferenceForward(Config, checkpoint));
        _dense = new(() => new ReferenceForward(Config, checkpoint, new ReferenceOptions { IndexTopkOverride = int.MaxValue }));
        using var tokens = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "tokens.json")));
        var root = tokens.RootElement;
        Prompts = root.GetProperty("prompts").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetInt32()).ToArray());
        DecodePrefillLength = root.GetProperty("decode_prefill_len").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        GenerationSteps = root.GetProperty("n_gen").GetInt32();
    }

    public static ReferenceGolden Get(string name) => s_models.GetOrAdd(name, n => new Lazy<ReferenceGolden>(() => new ReferenceGolden(n))).Value;

    public DeepSeekConfig Config { get; }

    public IReadOnlyDictionary<string, int[]> Prompts { get; }

    public IReadOnlyDictionary<string, int> DecodePrefillLength { get; }

    public int GenerationSteps { get; }

    public int Vocab => Config.VocabSize;

    public int Hidden => Config.HiddenSize;

    public int MoeLayers => Enumerable.Range(0, Config.NumHiddenLayers).Count(Config.IsMoeLayer);

    /// <summary>The reference forward with the config's index_topk.</summary>
    public ReferenceForward Model => _sparse.Value;

    /// <summary>The reference forward with top-k disabled (every visible key selected).</summary>
    public ReferenceForward DenseModel => _dense.Value;

    /// <summary>An F32 tensor of golden_FILE.safetensors, e.g. ("ref", "A.prefill.logits").</summary>
    public float[] Floats(string file, string name) => Output(file).GetSpan<float>(name).ToArray();

    public int[] Ints(string file, string name) => Output(file).GetSpan<int>(name).ToArray();

    public long[] Shape(string file, string name) => Output(file).GetInfo(name).Shape;

    public DecisionLog NewLog(int indexTopk = 0) =>
        new(Config.NumHiddenLayers, indexTopk > 0 ? indexTopk : Config.IndexTopk, MoeLayers, Config.NumExpertsPerTok);

    /// <summary>A forced log from golden_ref rows: topk [n, layers, K] for positions topkFirst.., routing [n, moe, k] for routingFirst...</summary>
    public DecisionLog ForcedLog(string topkName, int topkFirst, string routingName, int routingFirst, DecisionLog? into = null)
    {
        var log = into ?? NewLog();
        log.SetTopkRows(topkFirst, Ints("ref", topkName));
        log.SetRoutingRows(routingFirst, Ints("ref", routingName));
        return log;
    }

    private SafetensorsFile Output(string file) =>
        _outputs.GetOrAdd(file, f => SafetensorsFile.Open(Path.Combine(_folder, $"golden_{f}.safetensors")));
}
