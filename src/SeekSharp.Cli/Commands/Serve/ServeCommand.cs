using System.CommandLine;
using Microsoft.Extensions.Logging;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Tokenization;
using SeekSharp.Models.DeepSeekV32.Synthetic;
using SeekSharp.Server.Hosting;

namespace SeekSharp.Cli.Commands.Serve;

/// <summary>
/// `seek serve`: loads a checkpoint (default: the untrained demo model) behind the engine and serves the OpenAI-compatible API on Kestrel
/// (127.0.0.1:8000 unless told otherwise) until Ctrl+C.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = ModelCommandOptions.Model(required: false);
        model.Description = "Checkpoint folder (default: the built-in UNTRAINED demo model with its tokenizer, written to the user cache on first use)";
        var device = ModelCommandOptions.Device();
        var threads = ModelCommandOptions.Threads();
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json (default: the one in --model)" };
        var host = new Option<string>("--host") { Description = "Address to listen on (an IP or localhost; 0.0.0.0 exposes the server)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8000 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require `Authorization: Bearer KEY` on /v1/* (default: SEEKSHARP_API_KEY when set)" };
        var names = new Option<string[]>("--served-model-name") { Description = "Model id(s) clients send; the first is listed, the others are aliases (default: the folder name)", AllowMultipleArgumentsPerToken = true };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together (engine running slots)", DefaultValueFactory = _ => 32 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests waiting for a slot; more are answered 429", DefaultValueFactory = _ => 256 };
        var maxModelLen = new Option<int?>("--max-model-len") { Description = "Cap prompt + output tokens below the model's context" };
        var noPrefixCaching = new Option<bool>("--no-prefix-caching") { Description = "Do not reuse cached prompt prefixes" };
        var thinking = new Option<bool>("--thinking") { Description = "Requests that do not say get thinking mode (default: chat mode, like deepseek-chat)" };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request" };
        var kvCacheDtype = new Option<string>("--kv-cache-dtype")
        {
            Description = "MLA latent cache: auto (bf16 values) or fp8 (e4m3 with a power-of-two scale per 128, as the Dec-2025 reference and FlashMLA's 656-byte rows; changes the numerics)",
            DefaultValueFactory = _ => "auto",
        };
        kvCacheDtype.AcceptOnlyFromAmong("auto", "fp8");
        var enforceEager = new Option<bool>("--enforce-eager") { Description = "Launch every decode step's kernels one by one instead of replaying CUDA graphs (GPU only)" };
        var realWidth = new Option<int?>("--real-width-layers")
        {
            Description = "Serve an UNTRAINED real-width model built in memory instead of --model: this many layers (the first dense) of hidden 7168, " +
                          "128 heads, 256 experts of 2048, FP8 random weights, the demo tokenizer's vocabulary (for GPU serving figures; slow on the CPU)",
        };
        var command = new Command("serve", "Serve a checkpoint over an OpenAI-compatible HTTP API (chat/completions, completions, models, health, metrics)")
        {
            model, device, threads, tokenizer, host, port, apiKey, names, maxBatch, maxQueue, maxModelLen, noPrefixCaching, thinking, verbose, realWidth, enforceEager, kvCacheDtype,
        };
        command.SetAction(r => CliRunner.Run(() =>
        {
            var realWidthLayers = r.GetValue(realWidth);
            if (realWidthLayers is not null && r.GetValue(model) is not null) throw new CliUsageException("--real-width-layers: serves a model built in memory; leave out --model");
            if (realWidthLayers is < 1) throw new CliUsageException("--real-width-layers: expected a positive number of layers");
            var demo = r.GetValue(model) is null;
            // the real-width model borrows the demo folder's tokenizer and EOS ids (its vocabulary is the demo's)
            var directory = r.GetValue(model) ?? DemoModel.EnsureWritten();
            if (realWidthLayers is { } n) Console.WriteLine($"serving an UNTRAINED real-width model of {n} layers built in memory (demo tokenizer); its text is gibberish");
            else if (demo) Console.WriteLine($"no --model: serving the UNTRAINED demo model ({directory}); its text is gibberish");
            var tokenizerPath = r.GetValue(tokenizer) ?? Path.Combine(directory, "tokenizer.json");
            if (!File.Exists(tokenizerPath))
                throw new CliUsageException($"--tokenizer: {tokenizerPath} not found (the server needs a tokenizer.json; pass --tokenizer PATH)");
            var served = r.GetValue(names) ?? [];
            var engineOptions = new EngineOptions
            {
                MaxRunningSequences = Positive(r.GetValue(maxBatch), "--max-batch"),
                MaxQueuedRequests = Positive(r.GetValue(maxQueue), "--max-queue"),
                MaxContextTokens = r.GetValue(maxModelLen),
                PrefixCaching = !r.GetValue(noPrefixCaching),
                DecodeGraphs = !r.GetValue(enforceEager),
                ModelName = served.FirstOrDefault()
                    ?? (realWidthLayers is { } layers ? $"seeksharp-real-width-{layers}l-untrained"
                        : demo ? DemoModel.ModelId : Path.GetFileName(Path.TrimEndingDirectorySeparator(directory))),
            };
            var serverOptions = new OpenAiServerOptions
            {
                ServedModelName = engineOptions.ModelName,
                ModelAliases = [.. served.Skip(1)],
                ApiKey = r.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("SEEKSHARP_API_KEY"),
                DefaultThinking = r.GetValue(thinking) ? ThinkingMode.Thinking : ThinkingMode.Chat,
            };
            var listen = new ServerListenOptions(r.GetValue(host)!, r.GetValue(port));

            var deepSeekTokenizer = DeepSeekTokenizer.Load(tokenizerPath);
            var computeDevice = ModelCommandOptions.CreateDevice(r.GetValue(device)!, r.GetValue(threads));
            var fp8Latent = r.GetValue(kvCacheDtype) == "fp8";
            var loaded = realWidthLayers is { } count
                ? RealWidthModel.Create(count, DemoModel.Config.VocabSize, computeDevice, ownsDevice: true, new SeekSharp.Models.DeepSeekV32.ModelOptions { Fp8LatentCache = fp8Latent })
                : ModelCommandOptions.LoadModel(directory, computeDevice, indexTopk: null, fp8Latent);
            LlmEngine engine;
            try
            {
                engine = new LlmEngine(loaded, engineOptions, EosTokens.FromModelDirectory(directory, loaded.Config.EosTokenIds), ownsModel: true);
            }
            catch
            {
                loaded.Dispose();
                throw;
            }
            try
            {
                return ServeAsync(engine, deepSeekTokenizer, listen, serverOptions, r.GetValue(verbose)).GetAwaiter().GetResult();
            }
            finally
            {
                engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }));
        return command;
    }

    private static async Task<int> ServeAsync(IInferenceEngine engine, DeepSeekTokenizer tokenizer, ServerListenOptions listen, OpenAiServerOptions options, bool verbose)
    {
        await using var server = SeekSharpServer.Create(engine, tokenizer, listen, options, verbose ? LogLevel.Information : LogLevel.Warning);
        await server.StartAsync().ConfigureAwait(false);
        var info = engine.Model;
        Console.WriteLine($"serving {server.Service.ModelName} (vocab {info.VocabSize}, context {info.MaxContextTokens}) on {server.BaseAddress}" +
                          (options.ApiKey is null ? "" : " (API key required)"));
        Console.WriteLine("  POST /v1/chat/completions  POST /v1/completions  GET /v1/models  GET /health  GET /metrics   (Ctrl+C stops)");
        await server.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    private static int Positive(int value, string name) => value > 0 ? value : throw new CliUsageException($"{name}: expected a positive number");
}
