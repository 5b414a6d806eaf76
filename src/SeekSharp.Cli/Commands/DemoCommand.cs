using System.CommandLine;
using SeekSharp.IO.Config;
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
    /// <summary>Tiny V3.2 shape: every mechanism of the real model, small enough to write and run in seconds.</summary>
    public const string ConfigJson = """
        {
          "architectures": ["DeepseekV32ForCausalLM"], "model_type": "deepseek_v32",
          "vocab_size": 1024, "hidden_size": 256, "intermediate_size": 512, "moe_intermediate_size": 128,
          "num_hidden_layers": 4, "first_k_dense_replace": 1, "moe_layer_freq": 1,
          "num_attention_heads": 4, "num_key_value_heads": 4,
          "q_lora_rank": 128, "kv_lora_rank": 128, "qk_nope_head_dim": 64, "qk_rope_head_dim": 64, "v_head_dim": 64,
          "n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2, "n_group": 4, "topk_group": 2,
          "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true,
          "index_n_heads": 8, "index_head_dim": 128, "index_topk": 32,
          "hidden_act": "silu", "rms_norm_eps": 1e-06, "rope_theta": 10000,
          "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64,
                           "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
          "max_position_embeddings": 256, "num_nextn_predict_layers": 0, "tie_word_embeddings": false,
          "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "bfloat16",
          "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                  "scale_fmt": "ue8m0", "weight_block_size": [128, 128]}
        }
        """;

    public const int Seed = 20251201;

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
            var config = DeepSeekConfig.Parse(ConfigJson, "demo config");
            RandomCheckpointWriter.Write(dir, config, Seed);
            Console.WriteLine($"wrote an UNTRAINED DeepSeek-V3.2-architecture checkpoint (random weights, seed {Seed}) to {dir}");

            using var backend = ModelCommandOptions.CreateBackend(r.GetValue(device)!, r.GetValue(threads));
            using var model = ModelCommandOptions.LoadModel(dir, backend, indexTopk: null);
            int[] prompt = [0, .. Enumerable.Range(0, 63).Select(i => 3 + (i * 37) % 1000)];   // BOS + 63 ids: past index_topk, so DSA is sparse
            var result = GenerateCommand.Generate(model, prompt, r.GetValue(maxNew), new Sampler(new SamplingParams()));
            Console.WriteLine($"prompt ids    {string.Join(' ', prompt)}");
            Console.WriteLine($"generated ids {string.Join(' ', result.Generated)}");
            Console.WriteLine($"prefill {prompt.Length} tokens in {result.PrefillSeconds:F3} s; decode {result.DecodeTokensPerSecond:F1} tok/s on {backend.Name} ({backend.Threads} threads)");
            Console.WriteLine("(untrained weights: the ids are meaningless; real checkpoints load the same way with `seek generate --model DIR`)");
            return 0;
        }));
        return command;
    }
}
