using SeekSharp.Core.Compute;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// One layer's cache rows as the attention ops read them: row p holds position p of the sequence.
/// Latent F32 [rows, kv_lora] (bf16 values, after kv_norm); RopeKey F32 [rows, rope] (rotated k_pe);
/// IndexKeys U8 [rows, index_dim] (e4m3 codes); IndexScales F32 [rows].
/// </summary>
public sealed record KvLayerBuffers(DeviceBuffer Latent, DeviceBuffer RopeKey, DeviceBuffer IndexKeys, DeviceBuffer IndexScales);

/// <summary>
/// Where one sequence's cache lives, seen one layer at a time by a forward call: <see cref="SequenceCache"/> (its own
/// contiguous buffers) or a paged cache (blocks of a shared pool, gathered into position order for the layer).
/// </summary>
public interface ISequenceKv
{
    /// <summary>
    /// Buffers whose rows [0, startPos) hold this layer's cached positions and that have room up to <paramref name="end"/>;
    /// the forward writes rows [startPos, end) and reads [0, end) until <see cref="CloseLayer"/>.
    /// </summary>
    KvLayerBuffers OpenLayer(int layer, int startPos, int end);

    /// <summary>Keeps rows [startPos, end) that the forward wrote into <paramref name="buffers"/>.</summary>
    void CloseLayer(int layer, KvLayerBuffers buffers, int startPos, int end);
}
