namespace SeekSharp.Models.DeepSeekV32.Synthetic;

/// <summary>config.json texts of the DeepSeek-V3.2-architecture models we write ourselves (untrained, random weights).</summary>
public static class SyntheticConfigs
{
    /// <summary>
    /// Tiny V3.2 shape for `seek demo`, `seek chat` and `seek serve` without --model: every mechanism of the real model
    /// (FP8 + block scales, DSA, MoE), written and run in seconds. 4096 positions (YaRN ×64 over 64) so that a chat
    /// prompt with a tools header and a few turns fits; vocab 1024 = the demo tokenizer's (DemoTokenizerWriter).
    /// </summary>
    public const string Demo = """
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
          "rope_scaling": {"type": "yarn", "factor": 64.0, "original_max_position_embeddings": 64,
                           "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
          "max_position_embeddings": 4096, "num_nextn_predict_layers": 0, "tie_word_embeddings": false,
          "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "bfloat16",
          "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                  "scale_fmt": "ue8m0", "weight_block_size": [128, 128]}
        }
        """;

    /// <summary>A ~1.1 GB (FP8) / ~2 GB (bf16) V3.2-architecture model for the CPU benchmark: 7 layers (1 dense), 24 experts of 1024 over hidden 2048: MB-sized matrices in whole 128-blocks, like the real model's.</summary>
    public static string MidSize(bool fp8) => MidSizeTemplate.Replace("QUANTIZATION", fp8 ? Fp8Quantization : "");

    private const string MidSizeTemplate = """
        {
          "architectures": ["DeepseekV32ForCausalLM"], "model_type": "deepseek_v32",
          "vocab_size": 16000, "hidden_size": 2048, "intermediate_size": 4096, "moe_intermediate_size": 1024,
          "num_hidden_layers": 7, "first_k_dense_replace": 1, "moe_layer_freq": 1,
          "num_attention_heads": 16, "num_key_value_heads": 16,
          "q_lora_rank": 512, "kv_lora_rank": 256, "qk_nope_head_dim": 64, "qk_rope_head_dim": 64, "v_head_dim": 64,
          "n_routed_experts": 24, "n_shared_experts": 1, "num_experts_per_tok": 4, "n_group": 4, "topk_group": 2,
          "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true,
          "index_n_heads": 16, "index_head_dim": 128, "index_topk": 256,
          "hidden_act": "silu", "rms_norm_eps": 1e-06, "rope_theta": 10000,
          "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 1024,
                           "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
          "max_position_embeddings": 4096, "num_nextn_predict_layers": 0, "tie_word_embeddings": false,
          "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "bfloat16"
          QUANTIZATION
        }
        """;

    private const string Fp8Quantization = """
        , "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                  "scale_fmt": "ue8m0", "weight_block_size": [128, 128]}
        """;
}
