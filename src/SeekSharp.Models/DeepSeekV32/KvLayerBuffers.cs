using SeekSharp.Core.Compute;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// One layer's cache rows in a pool: Latent F32 [rows, kv_lora] (bf16 values, after kv_norm); RopeKey F32 [rows, rope]
/// (rotated k_pe); IndexKeys U8 [rows, index_dim] (e4m3 codes); IndexScales F32 [rows].
/// </summary>
public sealed record KvLayerBuffers(DeviceBuffer Latent, DeviceBuffer RopeKey, DeviceBuffer IndexKeys, DeviceBuffer IndexScales);

/// <summary>
/// Where one sequence's cache lives: blocks of <see cref="BlockSize"/> positions in pool buffers that other sequences
/// may share (the serving engine's paged pool), or a <see cref="SequenceCache"/>'s own buffers as a single block.
/// Position p of the sequence is pool row <c>Blocks[p / BlockSize] · BlockSize + p % BlockSize</c> of every layer.
/// Sequences with the same <see cref="Pool"/> run their attention in one batched call.
/// </summary>
public interface ISequenceKv
{
    /// <summary>Identity of the pool buffers: sequences with the same object share <see cref="Layer"/> buffers.</summary>
    object Pool { get; }

    /// <summary>Positions per block.</summary>
    int BlockSize { get; }

    /// <summary>The pool buffers of one layer (rows are pool rows).</summary>
    KvLayerBuffers Layer(int layer);

    /// <summary>The pool block of each block of positions [0, end); the caller made room up to <paramref name="end"/>.</summary>
    IReadOnlyList<int> Blocks(int end);
}
