using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Engine.Cache;

/// <summary>
/// The device memory of the paged KV cache: per layer one buffer per cache row kind, [blocks · 64, width]; block b owns
/// rows [64b, 64b + 64). Rows: MLA latent (kv_lora bf16 values, as the device's Bf16StorageType, or FP8 rows of
/// Fp8LatentRow.Bytes(kv_lora) bytes), rotated k_pe (rope,
/// same dtype), the indexer's e4m3 key codes (index_dim bytes) and their fp32 scale.
/// </summary>
public sealed class KvBlockPool : IDisposable
{
    private readonly KvLayerBuffers[] _layers;

    /// <param name="blocks">Blocks handed out to sequences: 0 .. blocks - 1.</param>
    /// <param name="scratchBlocks">Blocks after those that no sequence owns (<see cref="ScratchBlock"/>).</param>
    /// <param name="fp8Latent">Latent rows in FP8 (<see cref="Fp8LatentRow"/>, for a model with ModelOptions.Fp8LatentCache).</param>
    public KvBlockPool(IComputeDevice device, DeepSeekConfig config, int blocks, int scratchBlocks = 0, bool fp8Latent = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scratchBlocks);
        Device = device;
        Fp8Latent = fp8Latent;
        Blocks = blocks;
        ScratchBlocks = scratchBlocks;
        KvLora = config.KvLoraRank;
        Rope = config.QkRopeHeadDim;
        IndexDim = config.HasIndexer ? config.IndexHeadDim : 0;
        long rows = (long)(blocks + scratchBlocks) * EngineOptions.BlockSize;
        _layers = new KvLayerBuffers[config.NumHiddenLayers];
        try
        {
            for (var l = 0; l < _layers.Length; l++)
                _layers[l] = new KvLayerBuffers(
                    Fp8Latent ? device.Allocate(DType.U8, rows * Fp8LatentRow.Bytes(KvLora)) : device.Allocate(device.Bf16StorageType, rows * KvLora),
                    device.Allocate(device.Bf16StorageType, rows * Rope),
                    device.Allocate(DType.U8, rows * IndexDim), device.Allocate(DType.F32, IndexDim > 0 ? rows : 0));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IComputeDevice Device { get; }
    public int Blocks { get; }

    /// <summary>Whether latent rows are FP8 (<see cref="Fp8LatentRow"/>) rather than bf16 values.</summary>
    public bool Fp8Latent { get; }

    /// <summary>Blocks past <see cref="Blocks"/> that no sequence owns.</summary>
    public int ScratchBlocks { get; }

    /// <summary>
    /// The first scratch block: where the padding rows of a padded decode graph write their one cache row (nothing
    /// reads it but those rows, whose outputs are dropped).
    /// </summary>
    public int ScratchBlock => ScratchBlocks > 0 ? Blocks : throw new InvalidOperationException("this pool has no scratch block");
    public int KvLora { get; }
    public int Rope { get; }
    public int IndexDim { get; }

    public KvLayerBuffers Layer(int layer) => _layers[layer];

    /// <summary>
    /// Device bytes of one block over all layers: latent and rope rows of <paramref name="latentType"/>, or FP8 latent
    /// rows and <paramref name="latentType"/> rope rows when <paramref name="fp8Latent"/>.
    /// </summary>
    public static long BytesPerBlock(DeepSeekConfig config, DType latentType, bool fp8Latent = false)
    {
        var indexDim = config.HasIndexer ? config.IndexHeadDim : 0;
        long latent = fp8Latent ? Fp8LatentRow.Bytes(config.KvLoraRank) : (long)config.KvLoraRank * latentType.SizeOf();
        long row = latent + (long)config.QkRopeHeadDim * latentType.SizeOf() + indexDim + (indexDim > 0 ? 4 : 0);
        return row * EngineOptions.BlockSize * config.NumHiddenLayers;
    }

    public void Dispose()
    {
        foreach (var layer in _layers)
        {
            if (layer is null) continue;
            layer.Latent.Dispose();
            layer.RopeKey.Dispose();
            layer.IndexKeys.Dispose();
            layer.IndexScales.Dispose();
        }
    }
}
