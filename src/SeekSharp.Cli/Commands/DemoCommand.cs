using System.CommandLine;
using SeekSharp.IO.Tokenization;
using SeekSharp.IO.Tokenization.Synthetic;
using SeekSharp.Models.DeepSeekV32.Synthetic;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Cli.Commands;

/// <summary>
/// `seek demo`: the README's first command. Writes a small UNTRAINED DeepSeek-V3.2-architecture checkpoint
/// (FP8 weights with block scales, sparse attention, MoE) in the real Hugging Face format with our own
/// writer, then loads it like any checkpoint and generates from it. No download needed.
/// </summary>
internal static class DemoCommand
{

    public const int Seed = DemoModel.Seed;

    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = "Where to write the demo checkpoint (default: a folder under the temp directory)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 24 };
        var device = ModelCommandOptions.Device();
        var threads = ModelCommandOptions.Threads();
        var command = new Command("demo", "Write a small untrained DeepSeek-V3.2 checkpoint and generate from it") { output, maxNew, device, threads };
        command.SetAction(r => CliRunner.Run(() =>
        {
            var dir = r.GetValue(output) ?? Path.Combine(Path.GetTempPath(), "seeksharp-demo-v32");
            DemoModel.Write(dir);
            Console.WriteLine($"wrote an UNTRAINED DeepSeek-V3.2-architecture checkpoint (random weights, seed {Seed}) and its tokenizer to {dir}");

            using var model = ModelCommandOptions.LoadModel(dir, ModelCommandOptions.CreateDevice(r.GetValue(device)!, r.GetValue(threads)), indexTopk: null);
            int[] prompt = [0, .. Enumerable.Range(0, 63).Select(i => 3 + (i * 37) % 1000)];   // BOS + 63 ids: past index_topk, so DSA is sparse
            var result = GenerateCommand.Generate(model, prompt, r.GetValue(maxNew), new Sampler(new SamplingParams()));
            Console.WriteLine($"prompt ids    {string.Join(' ', prompt)}");
            Console.WriteLine($"generated ids {string.Join(' ', result.Generated)}");
            var tokenizer = DeepSeekTokenizer.Load(Path.Combine(dir, DemoTokenizerWriter.TokenizerFileName));
            Console.WriteLine($"as text       {tokenizer.Decode(result.Generated).ReplaceLineEndings(" ")}   (gibberish: untrained weights)");
            Console.WriteLine($"prefill {prompt.Length} tokens in {result.PrefillSeconds:F3} s; decode {result.DecodeTokensPerSecond:F1} tok/s on {model.Device.Name}");
            Console.WriteLine("(untrained weights: the ids are meaningless; real checkpoints load the same way with `seek generate --model DIR`)");
            return 0;
        }));
        return command;
    }
}
