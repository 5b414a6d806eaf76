namespace SeekSharp.Models.DeepSeekV32.Synthetic;

/// <summary>
/// config.json text of DeepSeek-V3.2 at its real width (hidden 7168, 128 heads, q_lora 1536, kv_lora 512, 64 indexer
/// heads × 128, top-k 2048, 256 experts of 2048, FP8 128×128 blocks, YaRN ×40) with a chosen layer count, dense-layer
/// count and vocabulary: for GPU-vs-CPU layer tests and per-layer benchmarks with <see cref="InMemoryRandomWeights"/>.
/// </summary>
public static class RealWidthConfig
{
    public static string Json(int layers, int denseLayers, int vocab) => $$"""
        {
          "architectures": ["DeepseekV32ForCausalLM"], "model_type": "deepseek_v32",
          "vocab_size": {{vocab}}, "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
          "num_hidden_layers": {{layers}}, "first_k_dense_replace": {{denseLayers}}, "moe_layer_freq": 1,
          "num_attention_heads": 128, "num_key_value_heads": 128,
          "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
          "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4,
          "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true,
          "index_n_heads": 64, "index_head_dim": 128, "index_topk": 2048,
          "hidden_act": "silu", "rms_norm_eps": 1e-06, "rope_theta": 10000,
          "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
                           "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
          "max_position_embeddings": 163840, "num_nextn_predict_layers": 0, "tie_word_embeddings": false,
          "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "bfloat16",
          "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                  "scale_fmt": "ue8m0", "weight_block_size": [128, 128]}
        }
        """;
}
