namespace SeekSharp.Core.Compute;

/// <summary>Dimensions of MLA attention that the attention ops need.</summary>
/// <param name="Heads">Attention heads.</param>
/// <param name="Nope">qk_nope_head_dim.</param>
/// <param name="Rope">qk_rope_head_dim.</param>
/// <param name="V">v_head_dim.</param>
/// <param name="KvLora">kv_lora_rank (latent width).</param>
/// <param name="SoftmaxScale">qk_head_dim^-½ × mscale².</param>
public readonly record struct MlaShape(int Heads, int Nope, int Rope, int V, int KvLora, float SoftmaxScale)
{
    public int QkDim => Nope + Rope;
    public int KvBDim => Nope + V;
}

/// <summary>DeepSeek MoE routing parameters.</summary>
public readonly record struct MoeRouting(int Experts, int Groups, int TopkGroups, int PerToken, bool Normalize, float Scale);
