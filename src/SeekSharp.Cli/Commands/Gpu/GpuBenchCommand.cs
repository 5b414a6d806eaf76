using System.CommandLine;
using System.Text.Json;
using SeekSharp.Core.Compute;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// `seek bench gpu`: the DSA ops of one layer at real dimensions (decode B × L, prefill chunk at L) and whole real-width
/// layers, with achieved TFLOP/s and GB/s next to the H200's peaks; pairs the rows with torch_dsa_bench.py's JSON
/// when given one (run it in the same invocation on the same GPU).
/// </summary>
internal static class GpuBenchCommand
{
    /// <summary>H200 SXM: HBM3e bandwidth and dense bf16 tensor-core rate (GPU.md).</summary>
    private const double PeakGBps = 4800, PeakTflops = 990;

    public static Command Create()
    {
        var command = new Command("gpu", "DSA op and real-width layer times on the GPU (decode B×L, prefill chunk at L) vs H200 peaks and PyTorch");
        var device = ModelCommandOptions.Device();
        device.DefaultValueFactory = _ => "cuda";
        var threads = ModelCommandOptions.Threads();
        var batches = new Option<string>("--decode-batches") { DefaultValueFactory = _ => "1,32,128", Description = "Decode batch sizes" };
        var decodeCtx = new Option<string>("--decode-ctx") { DefaultValueFactory = _ => "4096,32768,131072", Description = "Decode context lengths" };
        var prefillCtx = new Option<string>("--prefill-ctx") { DefaultValueFactory = _ => "8192,32768,131072", Description = "Prefill context lengths" };
        var chunk = new Option<int>("--chunk") { DefaultValueFactory = _ => 4096, Description = "Prefill chunk (queries at the end of the context)" };
        var reps = new Option<int>("--reps") { DefaultValueFactory = _ => 5, Description = "Timed repetitions per case (median reported)" };
        var noLayer = new Option<bool>("--no-layer") { Description = "Skip the whole-layer timings (real-width random MoE layer)" };
        var layerBatches = new Option<string>("--layer-batches") { DefaultValueFactory = _ => "1,32", Description = "Decode batch sizes of the whole-layer timings" };
        var moeTokens = new Option<string>("--moe-tokens") { DefaultValueFactory = _ => "1,32,128,4096", Description = "Token counts of the MoE experts timings (with the whole-layer timings)" };
        var torchJson = new Option<string?>("--torch-json") { Description = "torch_dsa_bench.py --json output from the same GPU, to pair with" };
        var jsonOut = new Option<string?>("--json-out") { Description = "Write every row (and the pairing) as JSON here" };
        var firstChunk = new Option<bool>("--first-chunk") { Description = "Also time the MHA-form attention of a prompt's first --chunk tokens (mla_mha)" };
        var model = new Option<bool>("--model")
        {
            Description = "Also time a real-width model of as many layers as fit the GPU (3 dense + MoE layers, real vocabulary): " +
                "decode steps at --decode-ctx x --model-batches and whole prompts of --model-prompts, extrapolated to 61 layers (minutes; most of the GPU's memory)",
        };
        var modelBatches = new Option<string>("--model-batches") { DefaultValueFactory = _ => "1,32,128", Description = "Decode batch sizes of the --model timings" };
        var modelPrompts = new Option<string>("--model-prompts") { DefaultValueFactory = _ => "4096,32768,131072", Description = "Prompt lengths of the --model timings (run whole, in --chunk pieces)" };
        var modelReserve = new Option<int>("--model-reserve-gib") { DefaultValueFactory = _ => 12, Description = "Device memory the --model layer count leaves for a step's temporaries" };
        var modelMaxMoe = new Option<int>("--model-max-moe") { DefaultValueFactory = _ => 58, Description = "At most this many MoE layers in the --model timings" };
        foreach (var o in new Option[] { device, threads, batches, decodeCtx, prefillCtx, chunk, reps, noLayer, layerBatches, moeTokens, torchJson, jsonOut,
                     firstChunk, model, modelBatches, modelPrompts, modelReserve, modelMaxMoe })
            command.Options.Add(o);

        command.SetAction(r => CliRunner.Run(() =>
        {
            var repetitions = Math.Max(1, r.GetValue(reps));
            using var d = ModelCommandOptions.CreateDevice(r.GetValue(device)!, r.GetValue(threads));
            // options are checked before anything runs: the timings take minutes
            var c = r.GetValue(chunk);
            if (c < 1) throw new CliUsageException($"--chunk: {c} is not a positive integer");
            var reserve = r.GetValue(modelReserve);
            var maxMoe = r.GetValue(modelMaxMoe);
            SeekSharp.Cuda.CudaDevice? modelGpu = null;
            int[] modelBatchList = [], modelPromptList = [];
            if (r.GetValue(model))
            {
                modelGpu = d as SeekSharp.Cuda.CudaDevice ?? throw new CliUsageException("--model needs a CUDA device (--device cuda)");
                if (reserve < 0) throw new CliUsageException($"--model-reserve-gib: {reserve} is negative");
                if (maxMoe < 1) throw new CliUsageException($"--model-max-moe: {maxMoe} is not a positive integer");
                modelBatchList = Ints(r.GetValue(modelBatches)!, "--model-batches");
                modelPromptList = Ints(r.GetValue(modelPrompts)!, "--model-prompts");
            }
            Console.WriteLine($"device: {d.Name}; peaks used for ratios: {PeakGBps:F0} GB/s HBM, {PeakTflops:F0} TFLOP/s dense bf16 (H200)");
            var rows = new List<DsaBenchRow>();
            var ops = new DsaOpBench(d, repetitions, _ => { });
            foreach (var l in Ints(r.GetValue(decodeCtx)!, "--decode-ctx"))
                foreach (var b in Ints(r.GetValue(batches)!, "--decode-batches"))
                    Print(rows, ops.Decode(b, l));
            foreach (var l in Ints(r.GetValue(prefillCtx)!, "--prefill-ctx"))
            {
                if (l < c) throw new CliUsageException($"--prefill-ctx {l} is shorter than --chunk {c}");
                Print(rows, ops.Prefill(c, l));
            }
            if (r.GetValue(firstChunk)) Print(rows, [ops.FirstChunk(c)]);
            if (!r.GetValue(noLayer))
            {
                using var layer = new LayerBench(d, repetitions, _ => { });
                foreach (var t in Ints(r.GetValue(moeTokens)!, "--moe-tokens"))
                    Print(rows, layer.Experts(t));
                foreach (var l in Ints(r.GetValue(decodeCtx)!, "--decode-ctx"))
                    foreach (var b in Ints(r.GetValue(layerBatches)!, "--layer-batches"))
                        Print(rows, layer.Decode(b, l));
                foreach (var l in Ints(r.GetValue(prefillCtx)!, "--prefill-ctx"))
                    Print(rows, [layer.Prefill(c, l)]);
            }
            if (modelGpu is { } gpu)
            {
                var started = System.Diagnostics.Stopwatch.StartNew();
                // the step downloads every row's logits into a new array (vocab 129280: 66 MB at B = 128), whose allocation
                // and copy swing by milliseconds between steps: a median over at least 9
                var bench = new ModelBench(gpu, new MedianTimer(d, Math.Max(repetitions, 9), _ => { }), (long)reserve << 30, maxMoe,
                    m => Console.Error.WriteLine($"[model {started.Elapsed.TotalSeconds,5:F0} s] {m}"));
                Print(rows, bench.Run(Ints(r.GetValue(decodeCtx)!, "--decode-ctx"), modelBatchList, modelPromptList, c));
            }

            List<TorchComparison.Pair>? pairs = null;
            if (d is SeekSharp.Cuda.CudaDevice cuda) Console.WriteLine($"FP8 GEMM path: {cuda.Fp8GemmPath}");
            if (r.GetValue(torchJson) is { } torchPath)
            {
                if (!File.Exists(torchPath)) throw new CliUsageException($"--torch-json '{torchPath}': file not found");
                pairs = TorchComparison.Compare(rows, torchPath);
                Console.WriteLine();
                Console.WriteLine($"{"phase",-8} {"B",4} {"L",7}  {"ours",-18} {"ms",9}  {"pytorch",-11} {"ms",9}  {"torch/ours",10}");
                foreach (var p in pairs)
                    Console.WriteLine($"{p.Phase,-8} {p.Batch,4} {p.Context,7}  {p.Ours,-18} {p.OursMs,9:F3}  {p.Torch,-11} {p.TorchMs,9:F3}  {p.Speedup,10:F2}");
            }
            if (r.GetValue(jsonOut) is { } outPath)
                File.WriteAllText(outPath, JsonSerializer.Serialize(new
                {
                    date = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"),
                    device = d.Name,
                    fp8GemmPath = (d as SeekSharp.Cuda.CudaDevice)?.Fp8GemmPath,
                    command = "seek " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                    peaks = new { hbmGBps = PeakGBps, bf16Tflops = PeakTflops },
                    rows = rows.Select(x => new { x.Phase, x.Batch, x.Context, x.Op, x.Ms, tflops = x.TflopPerSecond, gbps = x.GBPerSecond, x.Note }),
                    torch = pairs,
                }, s_json));
            return 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static void Print(List<DsaBenchRow> all, IEnumerable<DsaBenchRow> rows)
    {
        foreach (var x in rows)
        {
            all.Add(x);
            var rate = x.Flop > 0 ? $"{x.TflopPerSecond,8:F2} TFLOP/s ({x.TflopPerSecond / PeakTflops,6:P1})" : new string(' ', 27);
            var bw = x.Bytes > 0 ? $"{x.GBPerSecond,8:F0} GB/s ({x.GBPerSecond / PeakGBps,6:P1})" : "";
            Console.WriteLine($"{x.Phase,-8} B={x.Batch,-5} L={x.Context,-7} {x.Op,-13} {x.Ms,10:F3} ms  {rate}  {bw}  {x.Note}");
        }
    }

    private static int[] Ints(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out values[i]) || values[i] <= 0)
                throw new CliUsageException($"{option}: '{parts[i]}' is not a positive integer");
        return values;
    }
}
