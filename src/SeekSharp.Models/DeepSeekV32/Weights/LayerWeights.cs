using SeekSharp.Core.Backend;

namespace SeekSharp.Models.DeepSeekV32.Weights;

/// <summary>MLA projections of one layer. Norm weights are fp32 copies of the file's values.</summary>
public sealed record MlaWeights(
    LinearWeight QA,            // [q_lora, hidden]
    float[] QNorm,              // [q_lora]
    LinearWeight QB,            // [heads·(nope+rope), q_lora]
    LinearWeight KvA,           // [kv_lora+rope, hidden]
    float[] KvNorm,             // [kv_lora]
    LinearWeight KvB,           // [heads·(nope+v), kv_lora] (prefill MHA form)
    float[] KvBDequantized,     // [heads, nope+v, kv_lora] bf16 values (absorbed decode form, reference weight_dequant)
    LinearWeight O);            // [hidden, heads·v]

/// <summary>Lightning-indexer weights of one layer.</summary>
public sealed record IndexerWeights(
    LinearWeight QB,            // [index_heads·index_dim, q_lora]
    LinearWeight K,             // [index_dim, hidden]
    float[] KNormWeight,        // [index_dim]
    float[] KNormBias,          // [index_dim]
    LinearWeight WeightsProj);  // [index_heads, hidden], evaluated in fp32

/// <summary>A SwiGLU MLP: dense FFN, one routed expert or the shared expert.</summary>
public sealed record MlpWeights(LinearWeight Gate, LinearWeight Up, LinearWeight Down);

/// <summary>Router and experts of one MoE layer.</summary>
public sealed record MoeWeights(
    LinearWeight Router,        // [experts, hidden], evaluated in fp32
    float[] CorrectionBias,     // [experts]
    MlpWeights[] Experts,
    MlpWeights Shared);

/// <summary>One decoder layer; exactly one of Dense / Moe is set, Indexer is null for deepseek_v3.</summary>
public sealed record LayerWeights(
    int Index,
    float[] AttnNorm,
    float[] FfnNorm,
    MlaWeights Attention,
    IndexerWeights? Indexer,
    MlpWeights? Dense,
    MoeWeights? Moe);

/// <summary>Everything the forward pass reads. Large tensors stay in the memory-mapped checkpoint.</summary>
public sealed record ModelWeights(
    LinearWeight Embedding,     // [vocab, hidden] (rows gathered, never multiplied)
    LayerWeights[] Layers,
    float[] FinalNorm,
    LinearWeight Head);         // [vocab, hidden], evaluated in fp32
