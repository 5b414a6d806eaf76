using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SeekSharp.Core;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Manifest;

namespace SeekSharp.Cli.Tests;

/// <summary>
/// A checkpoint with the real DeepSeek-V3.2 layout and size — 163 shards, ~91k tensors, ~690 GB — as sparse
/// files (real headers, holes for the data), so `seek inspect` meets exactly what it meets on the published
/// checkpoint. A wrong one must be rejected with every problem listed. The time the check takes is printed,
/// not asserted (BENCHMARKS.md records it): tests here check behaviour, benchmarks measure speed.
/// </summary>
public sealed class RealSizeCheckpointTests : IDisposable
{
    private const int Shards = 163;

    /// <summary>Set to a folder to keep the replica there for benchmarking `seek inspect` by hand (BENCHMARKS.md).</summary>
    private const string KeepFolderVariable = "SEEKSHARP_REAL_SIZE_DIR";

    private readonly string? _keep = Environment.GetEnvironmentVariable(KeepFolderVariable) is { Length: > 0 } keep ? Path.GetFullPath(keep) : null;
    private readonly string _folder;
    private readonly ITestOutputHelper _output;

    public RealSizeCheckpointTests(ITestOutputHelper output)
    {
        _output = output;
        _folder = _keep ?? Directory.CreateTempSubdirectory("seek-real-size-").FullName;
        Directory.CreateDirectory(_folder);
    }

    public void Dispose()
    {
        if (_keep is null) Directory.Delete(_folder, recursive: true);
        // a kept replica ends with the good config, ready for `seek inspect --model DIR`
        else File.WriteAllText(Path.Combine(_folder, "config.json"), RealConfigJson());
    }

    [Fact]
    public void InspectChecksTheFullManifestFastAndListsEveryProblem()
    {
        var configJson = RealConfigJson();
        var totalBytes = WriteSparseCheckpoint(DeepSeekConfig.Parse(configJson, "real"));
        File.WriteAllText(Path.Combine(_folder, "config.json"), configJson);
        _output.WriteLine($"wrote {Shards} sparse shards holding {totalBytes / 1e9:F1} GB of tensor data");

        var clock = Stopwatch.StartNew();
        var good = SeekProcess.Run("inspect", "--model", _folder);
        _output.WriteLine($"seek inspect (good): exit {good.Exit} in {clock.ElapsedMilliseconds} ms wall (process start included)\n{good.Stdout}");
        Assert.True(good.Exit == 0, good.Stdout + good.Stderr);
        Assert.Contains("manifest          OK", good.Stdout);
        Assert.Contains("parameters        671,8", good.Stdout);
        _output.WriteLine($"manifest check of the good checkpoint: {CheckMilliseconds(good.Stdout)} ms");

        // the same shards under a config from another model size: every layer's attention disagrees
        File.WriteAllText(Path.Combine(_folder, "config.json"), configJson.Replace("\"kv_lora_rank\": 512", "\"kv_lora_rank\": 448"));
        clock.Restart();
        var bad = SeekProcess.Run("inspect", "--model", _folder);
        _output.WriteLine($"seek inspect (wrong config): exit {bad.Exit} in {clock.ElapsedMilliseconds} ms wall\n{bad.Stdout[..Math.Min(bad.Stdout.Length, 3000)]}");
        Assert.Equal(1, bad.Exit);
        // 61 layers × (kv_a_proj shape, its scale shape, kv_a_layernorm shape, kv_b_proj shape); kv_b's scale keeps ⌈448/128⌉ = 4 columns
        Assert.Contains("244 problem(s)", bad.Stdout);
        Assert.Contains("model.layers.0.self_attn.kv_b_proj.weight", bad.Stdout);
        Assert.Contains("... and 194 more", bad.Stdout);                      // the first 50 are listed
        _output.WriteLine($"manifest check of the wrong checkpoint: {CheckMilliseconds(bad.Stdout)} ms");
    }

    private static string RealConfigJson() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "real-v32-config.json"));

    private static double CheckMilliseconds(string stdout)
    {
        var marker = stdout.IndexOf("(checked in ", StringComparison.Ordinal);
        Assert.True(marker >= 0, stdout);
        var start = marker + "(checked in ".Length;
        return double.Parse(stdout[start..stdout.IndexOf(" ms)", start, StringComparison.Ordinal)]);
    }

    /// <summary>Real headers, data as holes; returns the tensor bytes the shards claim.</summary>
    private long WriteSparseCheckpoint(DeepSeekConfig config)
    {
        var tensors = new List<(string Name, string DType, long[] Shape, long Bytes)>();
        foreach (var e in WeightManifest.Expected(config))
        {
            var dtype = e.AllowedDTypes[0];
            tensors.Add((e.Name, dtype.SafetensorsName(), e.Shape, e.Shape.Aggregate(1L, (a, b) => a * b) * dtype.SizeOf()));
            if (e.ScaleName is not null) tensors.Add((e.ScaleName, "F32", e.ScaleShape!, e.ScaleShape!.Aggregate(1L, (a, b) => a * b) * 4));
        }
        var total = tensors.Sum(t => t.Bytes);
        var perShard = total / Shards + 1;
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        for (var s = 1; s <= Shards; s++)
        {
            var name = $"model-{s:D5}-of-{Shards:D6}.safetensors";
            var inShard = new List<(string Name, string DType, long[] Shape, long Bytes)>();
            long bytes = 0;
            while (index < tensors.Count && (bytes < perShard || s == Shards))
            {
                inShard.Add(tensors[index]);
                bytes += tensors[index++].Bytes;
            }
            WriteShard(Path.Combine(_folder, name), inShard);
            foreach (var t in inShard) weightMap[t.Name] = name;
        }
        using var stream = File.Create(Path.Combine(_folder, "model.safetensors.index.json"));
        JsonSerializer.Serialize(stream, new { metadata = new { total_size = total }, weight_map = weightMap });
        return total;
    }

    private static void WriteShard(string path, List<(string Name, string DType, long[] Shape, long Bytes)> tensors)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("__metadata__");
            writer.WriteString("format", "pt");
            writer.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", t.DType);
                writer.WriteStartArray("shape");
                foreach (var d in t.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + t.Bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += t.Bytes;
            }
            writer.WriteEndObject();
        }
        var header = json.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)padded));
        file.Write(header);
        file.Write(Encoding.ASCII.GetBytes(new string(' ', padded - header.Length)));
        file.SetLength(8 + padded + tensors.Sum(t => t.Bytes));   // a hole: no data blocks are written
    }
}
