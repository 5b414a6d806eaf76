using System.Runtime.InteropServices;
using SeekSharp.Core;
using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.DeepSeekV32.Manifest;

namespace SeekSharp.Models.DeepSeekV32.Synthetic;

/// <summary>
/// Writes an UNTRAINED DeepSeek-V3.2-architecture checkpoint with random weights (fixed seed) in the real
/// Hugging Face layout: config.json, sharded safetensors with model.safetensors.index.json, FP8 weights with
/// 128×128 weight_scale_inv blocks when the config asks for FP8. Every tensor comes from the weight manifest,
/// so what we write is exactly what the loader expects. Used by `seek demo` and the CPU benchmarks.
/// </summary>
public static class RandomCheckpointWriter
{
    public static void Write(string directory, DeepSeekConfig config, int seed, long maxShardBytes = 512L << 20)
    {
        Directory.CreateDirectory(directory);
        var expected = WeightManifest.Expected(config);
        var random = new FastRandom((ulong)seed);

        // group tensors into shards in manifest order, generating each tensor only when its shard is written
        var shards = new List<List<ExpectedTensor>>();
        var current = new List<ExpectedTensor>();
        long currentBytes = 0;
        foreach (var tensor in expected)
        {
            var bytes = ByteSize(config, tensor);
            if (current.Count > 0 && currentBytes + bytes > maxShardBytes)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(tensor);
            currentBytes += bytes;
        }
        if (current.Count > 0) shards.Add(current);

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long totalSize = 0;
        for (var s = 0; s < shards.Count; s++)
        {
            var file = $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            var tensors = new List<TensorToWrite>();
            foreach (var tensor in shards[s])
                foreach (var written in Generate(config, tensor, random))
                {
                    tensors.Add(written);
                    weightMap[written.Name] = file;
                    totalSize += written.Data.Length;
                }
            SafetensorsWriter.Write(Path.Combine(directory, file), tensors,
                new Dictionary<string, string> { ["format"] = "pt", ["seeksharp"] = "untrained random weights" });
        }
        SafetensorsWriter.WriteIndex(directory, weightMap, totalSize);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        File.WriteAllText(Path.Combine(directory, "README.md"),
            "# UNTRAINED random DeepSeek-V3.2-architecture checkpoint\n\n" +
            $"Written by SeekSharp with seed {seed}. The weights are random: the text it generates is meaningless.\n" +
            "It exists to exercise the real checkpoint format and forward pass without a download.\n");
    }

    private static long ByteSize(DeepSeekConfig config, ExpectedTensor tensor)
    {
        var count = tensor.Shape.Aggregate(1L, (a, b) => a * b);
        return count * ChooseDType(config, tensor).SizeOf();
    }

    private static DType ChooseDType(DeepSeekConfig config, ExpectedTensor tensor)
    {
        if (config.IsFp8 && tensor.AllowedDTypes.Contains(DType.F8E4M3)) return DType.F8E4M3;
        if (tensor.Name.EndsWith("e_score_correction_bias", StringComparison.Ordinal)) return DType.F32;
        return DType.BF16;
    }

    private static IEnumerable<TensorToWrite> Generate(DeepSeekConfig config, ExpectedTensor tensor, FastRandom random)
    {
        var values = Sample(tensor, random);
        var dtype = ChooseDType(config, tensor);
        switch (dtype)
        {
            case DType.F32:
                yield return new TensorToWrite(tensor.Name, dtype, tensor.Shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
                break;
            case DType.BF16:
                var bits = new ushort[values.Length];
                BFloat16Math.FromFloat(values, bits);
                yield return new TensorToWrite(tensor.Name, dtype, tensor.Shape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
                break;
            case DType.F8E4M3:
                var (codes, scales) = QuantizeBlocks(values, (int)tensor.Shape[0], (int)tensor.Shape[1]);
                yield return new TensorToWrite(tensor.Name, dtype, tensor.Shape, codes);
                yield return new TensorToWrite(tensor.ScaleName!, DType.F32, tensor.ScaleShape!, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
                break;
        }
    }

    /// <summary>Values with the spread of a trained-looking init: unit-ish norms, small biases, ~1/sqrt(fan-in) matrices.</summary>
    private static float[] Sample(ExpectedTensor tensor, FastRandom random)
    {
        var count = checked((int)tensor.Shape.Aggregate(1L, (a, b) => a * b));
        var values = new float[count];
        var name = tensor.Name;
        if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal))
        {
            for (var i = 0; i < count; i++) values[i] = 1f + 0.05f * random.NextCentered();
            return values;
        }
        if (name.EndsWith(".bias", StringComparison.Ordinal) || name.EndsWith("e_score_correction_bias", StringComparison.Ordinal))
        {
            for (var i = 0; i < count; i++) values[i] = 0.02f * random.NextCentered();
            return values;
        }
        var fanIn = tensor.Shape.Length == 2 ? tensor.Shape[1] : 256;
        var std = name.Contains("embed_tokens", StringComparison.Ordinal) ? 0.5f : 0.8f / MathF.Sqrt(fanIn);
        if (name.Contains("q_b_proj", StringComparison.Ordinal) || name.Contains("kv_b_proj", StringComparison.Ordinal)
            || name.Contains("wq_b", StringComparison.Ordinal) || name.Contains("weights_proj", StringComparison.Ordinal)
            || name.StartsWith("lm_head", StringComparison.Ordinal))
            std *= 2;
        for (var i = 0; i < count; i++) values[i] = std * random.NextCentered();
        BFloat16Math.RoundInPlace(values);
        return values;
    }

    /// <summary>128×128 block quantisation with power-of-two (ue8m0-compatible) dequantisation scales.</summary>
    private static (byte[] Codes, float[] ScaleInv) QuantizeBlocks(float[] w, int rows, int cols)
    {
        const int Block = 128;
        int rowBlocks = (rows + Block - 1) / Block, colBlocks = (cols + Block - 1) / Block;
        var codes = new byte[w.Length];
        var scales = new float[rowBlocks * colBlocks];
        for (var rb = 0; rb < rowBlocks; rb++)
            for (var cb = 0; cb < colBlocks; cb++)
            {
                int r0 = rb * Block, r1 = Math.Min(rows, r0 + Block), c0 = cb * Block, c1 = Math.Min(cols, c0 + Block);
                var amax = 1e-4f;
                for (var r = r0; r < r1; r++)
                    for (var c = c0; c < c1; c++) amax = Math.Max(amax, Math.Abs(w[r * cols + c]));
                var scale = Ue8m0.RoundUpToPowerOfTwo(amax / 448f);
                scales[rb * colBlocks + cb] = scale;
                for (var r = r0; r < r1; r++)
                    for (var c = c0; c < c1; c++) codes[r * cols + c] = Fp8E4M3.FromFloat(w[r * cols + c] / scale);
            }
        return (codes, scales);
    }

    /// <summary>xorshift64* → centred uniform with unit variance: cheap enough for a gigabyte of weights.</summary>
    private sealed class FastRandom(ulong seed)
    {
        private ulong _state = seed * 0x9E3779B97F4A7C15UL + 1;

        public float NextCentered()
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            var bits = (_state * 0x2545F4914F6CDD1DUL) >> 40;          // 24 random bits
            return (bits * (1f / (1 << 24)) - 0.5f) * 3.4641016f;      // uniform(-√3, √3): variance 1
        }
    }
}
