using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SeekSharp.IO.Tokenization;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Cli.Commands;

/// <summary>`seek generate`: prefill a prompt, then decode token by token through the KV cache.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = ModelCommandOptions.Model();
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (needs tokenizer.json in the model folder)" };
        var ids = new Option<string?>("--ids") { Description = "Prompt token ids, e.g. \"0 5 9\"" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 32 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus mass", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int?>("--seed") { Description = "Sampling seed" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with ids and text" };
        var device = ModelCommandOptions.Device();
        var threads = ModelCommandOptions.Threads();
        var indexTopk = ModelCommandOptions.IndexTopk();

        var command = new Command("generate", "Generate tokens from a prompt") { model, prompt, ids, maxNew, temperature, topP, topK, seed, json, device, threads, indexTopk };
        command.SetAction(r => CliRunner.Run(() =>
        {
            if ((r.GetValue(prompt) is null) == (r.GetValue(ids) is null))
                throw new CliUsageException("give exactly one of --prompt or --ids");
            if (r.GetValue(maxNew) < 0) throw new CliUsageException("--max-new-tokens must be ≥ 0");
            var sampler = new Sampler(new SamplingParams(r.GetValue(temperature), r.GetValue(topP), r.GetValue(topK), r.GetValue(seed)));
            var dir = r.GetValue(model)!;
            var tokenizer = TryLoadTokenizer(dir, required: r.GetValue(prompt) is not null);
            var promptIds = r.GetValue(ids) is { } idText
                ? ModelCommandOptions.ParseIds(idText, "--ids")
                : tokenizer!.Encode(r.GetValue(prompt)!).ToArray();

            using var m = ModelCommandOptions.LoadModel(dir, ModelCommandOptions.CreateDevice(r.GetValue(device)!, r.GetValue(threads)), r.GetValue(indexTopk));
            var result = Generate(m, promptIds, r.GetValue(maxNew), sampler);
            var text = tokenizer?.Decode(result.Generated);

            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    prompt_ids = promptIds,
                    ids = result.Generated,
                    text,
                    prefill_seconds = result.PrefillSeconds,
                    decode_tokens_per_second = result.DecodeTokensPerSecond,
                }));
            }
            else
            {
                Console.WriteLine(text ?? string.Join(' ', result.Generated));
                Console.Error.WriteLine($"prefill {promptIds.Length} tokens in {result.PrefillSeconds:F3} s, decode {result.Generated.Length} tokens at {result.DecodeTokensPerSecond:F1} tok/s (on {m.Device.Name})");
            }
            return 0;
        }));
        return command;
    }

    public sealed record GenerationResult(int[] Generated, double PrefillSeconds, double DecodeTokensPerSecond);

    /// <summary>Greedy or sampled generation; stops at max tokens or EOS.</summary>
    public static GenerationResult Generate(DeepSeekV32Model model, int[] promptIds, int maxNewTokens, Sampler sampler)
    {
        var cache = model.NewCache(promptIds.Length + maxNewTokens);
        var clock = Stopwatch.StartNew();
        var logits = model.Forward(promptIds, cache);
        var prefill = clock.Elapsed.TotalSeconds;
        var generated = new List<int>();
        var eos = model.Config.EosTokenIds;
        clock.Restart();
        for (var step = 0; step < maxNewTokens; step++)
        {
            var next = sampler.Next(logits);
            generated.Add(next);
            if (eos.Contains(next) || step == maxNewTokens - 1) break;
            logits = model.Forward([next], cache);
        }
        var decodeSteps = Math.Max(0, generated.Count - 1);
        var rate = decodeSteps == 0 ? 0 : decodeSteps / clock.Elapsed.TotalSeconds;
        return new GenerationResult(generated.ToArray(), prefill, rate);
    }

    public static DeepSeekTokenizer? TryLoadTokenizer(string modelDir, bool required)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (File.Exists(path)) return DeepSeekTokenizer.Load(path);
        if (required) throw new CliUsageException($"--prompt needs {path}; give --ids instead or add the tokenizer");
        return null;
    }
}
