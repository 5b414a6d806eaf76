using System.Buffers.Binary;
using System.Text.Json;
using SeekSharp.Core;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.Models.Tests.Manifest;

/// <summary>
/// Reads a safetensors header directly (8-byte little-endian length, then the JSON), so the manifest tests do not rely on
/// the production reader: what they compare against is the file itself.
/// </summary>
internal static class HeaderOnlySafetensors
{
    public static Dictionary<string, TensorInfo> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes));
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8L + headerLength;

        using var json = JsonDocument.Parse(header);
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var entry in json.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtypeName = entry.Value.GetProperty("dtype").GetString()!;
            Assert.True(DTypes.TryParseSafetensors(dtypeName, out var dtype), $"{entry.Name}: dtype {dtypeName}");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            tensors.Add(entry.Name, new TensorInfo(entry.Name, dtype, shape, path, dataStart + offsets[0], offsets[1] - offsets[0]));
        }
        return tensors;
    }

    /// <summary>Tensor names of model.safetensors.index.json's weight_map.</summary>
    public static HashSet<string> IndexNames(string checkpointDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpointDirectory, "model.safetensors.index.json")));
        return index.RootElement.GetProperty("weight_map").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
    }
}
