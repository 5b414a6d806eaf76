using System.CommandLine;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.DeepSeekV32.Manifest;

namespace SeekSharp.Cli.Commands;

/// <summary>`seek inspect`: config summary, manifest check, parameter count, KV-cache bytes per token. Reads headers only.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = ModelCommandOptions.Model();
        var command = new Command("inspect", "Check a checkpoint against its config without loading weights") { model };
        command.SetAction(r => CliRunner.Run(() =>
        {
            var dir = r.GetValue(model)!;
            if (!Directory.Exists(dir)) throw new CliUsageException($"--model '{dir}': folder not found");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var config = DeepSeekConfig.Load(Path.Combine(dir, "config.json"));
            using var checkpoint = SafetensorsCheckpoint.Open(dir);
            var report = ManifestCheck.Compare(config, checkpoint.ReadAllHeaders());
            var elapsed = clock.Elapsed.TotalMilliseconds;

            Console.WriteLine($"model_type        {config.ModelType} ({(config.HasIndexer ? "DSA sparse attention" : "dense MLA")})");
            Console.WriteLine($"layers            {config.NumHiddenLayers} ({config.FirstKDenseReplace} dense, {config.NumHiddenLayers - config.FirstKDenseReplace} MoE)");
            Console.WriteLine($"hidden / vocab    {config.HiddenSize} / {config.VocabSize}");
            Console.WriteLine($"attention         {config.NumAttentionHeads} heads, q_lora {config.QLoraRank}, kv_lora {config.KvLoraRank}, nope {config.QkNopeHeadDim} + rope {config.QkRopeHeadDim}, v {config.VHeadDim}");
            if (config.HasIndexer)
                Console.WriteLine($"indexer           {config.IndexNHeads} heads × {config.IndexHeadDim}, top-k {config.IndexTopk}");
            Console.WriteLine($"experts           {config.NRoutedExperts} routed ({config.NumExpertsPerTok} per token, {config.NGroup} groups, keep {config.TopkGroup}) + {config.NSharedExperts} shared, inner {config.MoeIntermediateSize}");
            Console.WriteLine($"weights           {(config.IsFp8 ? "FP8 e4m3, 128×128 block scales" + (config.Quantization?.ScaleFmt is { } fmt ? $" ({fmt})" : "") : "bf16")}");
            Console.WriteLine($"context           {config.MaxPositionEmbeddings} positions{(config.RopeScaling is { } y ? $" (YaRN ×{y.Factor} over {y.OriginalMaxPositionEmbeddings})" : "")}");
            Console.WriteLine($"parameters        {report.ParameterCount:N0}");
            Console.WriteLine($"KV cache          {WeightManifest.KvCacheBytesPerToken(config):N0} bytes per token (all layers)");
            Console.WriteLine($"shards            {checkpoint.ShardPaths.Count}");
            Console.WriteLine($"manifest          {(report.Ok ? "OK" : $"{report.Problems.Count} problem(s)")} (checked in {elapsed:F0} ms)");
            if (report.Ok) return 0;
            Console.WriteLine(report.Describe());
            return 1;
        }));
        return command;
    }
}
