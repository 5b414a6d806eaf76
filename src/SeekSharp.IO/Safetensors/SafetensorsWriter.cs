using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// Writes safetensors files in the Hugging Face layout (8-byte LE header length, JSON header space-padded to a
/// multiple of 8, tensors contiguous in the given order) and <c>model.safetensors.index.json</c>. Both are written
/// to a temp file and renamed into place, so a failure leaves no half-written file.
/// </summary>
public static class SafetensorsWriter
{
    private static readonly IReadOnlyDictionary<string, string> s_defaultMetadata =
        new Dictionary<string, string> { ["format"] = "pt" };

    // Readable headers (no \u escapes for '+' or non-ASCII); the output is still strict JSON.
    private static readonly JsonWriterOptions s_jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>; metadata defaults to {"format":"pt"}, an empty map writes none.</summary>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        Validate(list);
        var header = BuildHeader(list, metadata ?? s_defaultMetadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> lengthField = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
            stream.Write(lengthField);
            stream.Write(header);
            foreach (var tensor in list) stream.Write(tensor.Data.Span);
        });
    }

    /// <summary>Writes <c>model.safetensors.index.json</c> into <paramref name="directory"/> (weight_map sorted by tensor name).</summary>
    public static void WriteIndex(string directory, IReadOnlyDictionary<string, string> weightMap, long totalSize)
    {
        ArgumentNullException.ThrowIfNull(weightMap);
        ArgumentOutOfRangeException.ThrowIfNegative(totalSize);
        foreach (var (tensor, shard) in weightMap)
        {
            if (string.IsNullOrEmpty(tensor)) throw new ArgumentException("weight map has an empty tensor name", nameof(weightMap));
            if (shard is null || !CheckpointIndex.IsPlainFileName(shard))
                throw new ArgumentException($"'{tensor}': shard '{shard}' is not a plain file name", nameof(weightMap));
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, s_jsonOptions with { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (tensor, shard) in weightMap.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(tensor, shard);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);

        AtomicFile.Write(Path.Combine(directory, CheckpointIndex.FileName), stream => stream.Write(buffer.WrittenSpan));
    }

    private static void Validate(List<TensorToWrite> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            if (string.IsNullOrEmpty(tensor.Name)) throw new ArgumentException("tensor name is empty", nameof(tensors));
            if (tensor.Name == SafetensorsHeaderJson.MetadataKey)
                throw new ArgumentException($"'{tensor.Name}' is reserved for metadata", nameof(tensors));
            if (!names.Add(tensor.Name)) throw new ArgumentException($"'{tensor.Name}' appears twice", nameof(tensors));
            if (tensor.Shape is null) throw new ArgumentException($"'{tensor.Name}': shape is null", nameof(tensors));

            long expected = tensor.DType.SizeOf();
            foreach (var d in tensor.Shape)
            {
                if (d < 0) throw new ArgumentException($"'{tensor.Name}': negative dimension {d}", nameof(tensors));
                if (d > 0 && expected > long.MaxValue / d)
                    throw new ArgumentException($"'{tensor.Name}': shape overflows a 64-bit byte count", nameof(tensors));
                expected *= d;
            }
            if (tensor.Data.Length != expected)
                throw new ArgumentException(
                    $"'{tensor.Name}': {tensor.Data.Length} data bytes, but shape [{string.Join(", ", tensor.Shape)}] of " +
                    $"{tensor.DType.SafetensorsName()} needs {expected}", nameof(tensors));
        }
    }

    /// <summary>The JSON header, padded with spaces so that the data buffer starts at a multiple of 8.</summary>
    private static byte[] BuildHeader(List<TensorToWrite> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, s_jsonOptions))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeaderJson.MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.SafetensorsName());
                json.WriteStartArray("shape");
                foreach (var d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        var padded = (buffer.WrittenCount + 7) & ~7;
        if (padded > SafetensorsHeader.MaxHeaderLength)
            throw new ArgumentException($"header would be {padded} bytes, over the {SafetensorsHeader.MaxHeaderLength}-byte limit");
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
