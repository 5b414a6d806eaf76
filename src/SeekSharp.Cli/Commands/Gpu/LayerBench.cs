using SeekSharp.Core;
using SeekSharp.Core.Numerics;
using SeekSharp.Core.Compute;
using SeekSharp.Engine;
using SeekSharp.Engine.Cache;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// Whole-layer times at real width: a one-layer model (an MoE layer, as 58 of the real 61 are; random FP8 weights,
/// vocabulary 1024 so embedding and head are negligible) whose caches are filled to the context length, then one batched
/// decode step of B sequences over a shared paged pool (as the serving engine runs it) or one prefill chunk at the end of
/// the context.
/// The cache content is zeros: the time of every op is data-independent except top-k ties, which cost nothing extra.
/// </summary>
public sealed class LayerBench : IDisposable
{
    private readonly DeepSeekV32Model _model;
    private readonly MedianTimer _timer;

    public LayerBench(IComputeDevice device, int repetitions, Action<string> log)
    {
        var config = DeepSeekConfig.Parse(RealWidthConfig.Json(layers: 1, denseLayers: 0, vocab: 1024), "real-width-1-moe-layer");
        _model = new DeepSeekV32Model(config, InMemoryRandomWeights.Create(config, seed: 11), device);
        _timer = new MedianTimer(device, repetitions, log);
    }

    /// <summary>
    /// One batched decode step of <paramref name="batch"/> sequences whose caches hold context-1 positions: launched op by
    /// op, and replayed as the engine's decode graph (when the device records graphs).
    /// </summary>
    public List<DsaBenchRow> Decode(int batch, int context)
    {
        var step = DecodeStepTiming.Measure(_model, batch, context, _timer);
        var rows = new List<DsaBenchRow> { new("decode", batch, context, "layer", step.EagerMs, 0, 0, "1 MoE layer + embed/head (vocab 1024), one batched step") };
        if (step.GraphMs is { } graphMs)
        {
            rows.Add(new("decode", batch, context, "layer_graph", graphMs, 0, 0, $"the same step replayed from its decode graph ({step.GraphNote})"));
            rows.Add(new("decode", batch, context, "step_refill", step.RefillMs ?? 0, 0, 0,
                "host part of layer_graph: the replay's token ids, positions and block tables filled and uploaded (once a step, not a layer)"));
        }
        else Console.Error.WriteLine($"decode B={batch} L={context}: no replayed step ({step.GraphNote})");
        return rows;
    }

    /// <summary>A chunk of <paramref name="chunk"/> tokens at the end of a context of <paramref name="context"/>.</summary>
    public DsaBenchRow Prefill(int chunk, int context)
    {
        using var cache = FilledCache(context - chunk);
        var tokens = Enumerable.Range(0, chunk).Select(i => 3 + i * 7 % 1000).ToArray();
        var ms = Time(() =>
        {
            _model.Forward(tokens, cache);
            cache.Truncate(context - chunk);
        });
        return new DsaBenchRow("prefill", chunk, context, "layer", ms, 0, 0, "1 MoE layer + embed/head (vocab 1024), absorbed chunk");
    }

    /// <summary>
    /// The routed experts of the layer alone for <paramref name="tokens"/> rows routed uniformly at random (8 distinct
    /// experts each, as MoeRoute writes them), next to one expert's three FP8 linears over the same number of rows (equal
    /// FLOPs, the dense rate). Bytes: the FP8 weights of every expert the rows use, read once.
    /// </summary>
    public List<DsaBenchRow> Experts(int tokens)
    {
        var d = _model.Device;
        var moe = _model.DeviceWeights.Layers[0].Moe!;
        var config = _model.Config;
        int k = config.NumExpertsPerTok, hidden = config.HiddenSize, inner = config.MoeIntermediateSize;
        var random = new Random(5);
        var ids = new int[tokens * k];
        var used = new HashSet<int>();
        for (var t = 0; t < tokens; t++)
        {
            var picks = new SortedSet<int>();
            while (picks.Count < k) picks.Add(random.Next(config.NRoutedExperts));
            picks.CopyTo(ids, t * k);
            used.UnionWith(picks);
        }
        var weights = Enumerable.Range(0, tokens * k).Select(_ => 0.1f + random.NextSingle()).ToArray();
        var x = Enumerable.Range(0, tokens * hidden).Select(_ => BFloat16Math.Round(random.NextSingle() - 0.5f)).ToArray();
        using var idBuffer = d.Allocate(DType.I32, ids.Length);
        using var weightBuffer = d.Allocate(DType.F32, weights.Length);
        using var xBuffer = d.Allocate(DType.F32, x.Length);
        using var sum = d.Allocate(DType.F32, (long)tokens * hidden);
        d.Upload<int>(ids, idBuffer);
        d.Upload<float>(weights, weightBuffer);
        d.Upload<float>(x, xBuffer);

        var pairs = tokens * k;
        var flop = 2.0 * pairs * 3 * inner * hidden;
        var bytes = (double)used.Count * 3 * inner * hidden;
        var rows = new List<DsaBenchRow>();
        if (moe.Grouped is { } grouped)
        {
            var ms = Time(() => d.MoeExperts(xBuffer, tokens, idBuffer, weightBuffer, k, grouped, true, sum));
            rows.Add(new("moe", tokens, 0, "experts", ms, flop, bytes, $"grouped FP8, {used.Count} experts used, {pairs} rows"));
        }

        // the dense rate: one expert's gate, up and down over all the routed rows
        using var rowsIn = d.Allocate(DType.F32, (long)pairs * hidden);
        using var gateOut = d.Allocate(DType.F32, (long)pairs * inner);
        using var downOut = d.Allocate(DType.F32, (long)pairs * hidden);
        var expert = moe.Experts[0];
        void Dense()
        {
            d.Linear(expert.Gate, MatrixView.Dense(rowsIn, pairs, hidden), MatrixView.Dense(gateOut, pairs, inner), true, true);
            d.Linear(expert.Up, MatrixView.Dense(rowsIn, pairs, hidden), MatrixView.Dense(gateOut, pairs, inner), true, true);
            d.Linear(expert.Down, MatrixView.Dense(gateOut, pairs, inner), MatrixView.Dense(downOut, pairs, hidden), true, true);
        }
        var library = d is Cuda.CudaDevice cuda && cuda.LibraryFp8Gemm;
        rows.Add(new("moe", tokens, 0, "dense_equal", Time(Dense), flop, 3.0 * inner * hidden,
            $"one expert's 3 FP8 linears over {pairs} rows, {(library ? "cuBLASLt" : "our kernels")}"));
        if (d is Cuda.CudaDevice { HasLibraryFp8Gemm: true } gpu && !library && pairs >= Cuda.Launchers.CublasLtFp8Gemm.MinRows)
        {
            // the opt-in library path at the same shapes (CudaDevice.LibraryFp8Gemm says why it is not the default)
            try
            {
                gpu.LibraryFp8Gemm = true;
                rows.Add(new("moe", tokens, 0, "dense_cublaslt", Time(Dense), flop, 3.0 * inner * hidden,
                    "the same 3 linears through cuBLASLt's block-scaled FP8 GEMM (opt-in)"));
            }
            finally
            {
                gpu.LibraryFp8Gemm = false;
            }
        }
        return rows;
    }

    private SequenceCache FilledCache(int length)
    {
        var cache = _model.NewCache(length + 1);
        cache.Reserve(length + 1);
        cache.Advance(length);
        return cache;
    }

    private double Time(Action body) => _timer.Time(body);

    public void Dispose() => _model.Dispose();
}
