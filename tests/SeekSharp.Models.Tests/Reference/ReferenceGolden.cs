using System.Collections.Concurrent;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.Decisions;
using SeekSharp.Models.Reference;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.Reference;

/// <summary>
/// One golden tiny model folder (shared/golden/model/NAME): config, the reference forward built on its checkpoint,
/// tokens.json and the golden_*.safetensors outputs. Loaded once per process and shared by the reference tests.
/// </summary>
internal sealed class ReferenceGolden
{
    private static readonly ConcurrentDictionary<string, Lazy<ReferenceGolden>> s_models = new();
    private readonly GoldenModelData _data;
    private readonly Lazy<ReferenceForward> _sparse;
    private readonly Lazy<ReferenceForward> _dense;

    private ReferenceGolden(string name)
    {
        _data = new GoldenModelData(name);   // kept for the process, like the checkpoint
        Config = DeepSeekConfig.Load(Path.Combine(_data.Directory, "config.json"));
        var checkpoint = SafetensorsCheckpoint.Open(_data.Directory);   // kept open for the process: the weights are copied out, views are not
        _sparse = new(() => new ReferenceForward(Config, checkpoint));
        _dense = new(() => new ReferenceForward(Config, checkpoint, new ReferenceOptions { IndexTopkOverride = int.MaxValue }));
    }

    public static ReferenceGolden Get(string name) => s_models.GetOrAdd(name, n => new Lazy<ReferenceGolden>(() => new ReferenceGolden(n))).Value;

    public DeepSeekConfig Config { get; }

    public IReadOnlyDictionary<string, int[]> Prompts => _data.Prompts;

    public IReadOnlyDictionary<string, int> DecodePrefillLength => _data.DecodePrefillLength;

    public int GenerationSteps => _data.GenerationSteps;

    public int Vocab => Config.VocabSize;

    public int Hidden => Config.HiddenSize;

    public int MoeLayers => Enumerable.Range(0, Config.NumHiddenLayers).Count(Config.IsMoeLayer);

    /// <summary>The reference forward with the config's index_topk.</summary>
    public ReferenceForward Model => _sparse.Value;

    /// <summary>The reference forward with top-k disabled (every visible key selected).</summary>
    public ReferenceForward DenseModel => _dense.Value;

    /// <summary>An F32 tensor of golden_FILE.safetensors, e.g. ("ref", "A.prefill.logits").</summary>
    public float[] Floats(string file, string name) => _data.Floats(name, file);

    public int[] Ints(string file, string name) => _data.Ints(name, file);

    public long[] Shape(string file, string name) => _data.Shape(name, file);

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
}
