using System.Text;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// The tensor-name strings a checkpoint already holds (from its index), looked up by a header's UTF-8 bytes, so reading
/// 163 headers does not allocate ~91k names a second time. Read-only after construction; safe from any thread.
/// </summary>
internal sealed class TensorNames
{
    // Real names are < 100 characters; longer ones are simply allocated.
    private const int MaxLookupChars = 256;

    private readonly Dictionary<string, CheckpointShard>.AlternateLookup<ReadOnlySpan<char>> _names;

    /// <param name="shardOf">The checkpoint's tensor → shard map (its keys are the names); may be filled later, before use.</param>
    public TensorNames(Dictionary<string, CheckpointShard> shardOf) => _names = shardOf.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The held string equal to <paramref name="utf8"/> (valid UTF-8), or a new one.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLookupChars) return Encoding.UTF8.GetString(utf8);
        Span<char> chars = stackalloc char[MaxLookupChars];
        var text = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        return _names.TryGetValue(text, out var held, out _) ? held : new string(text);
    }
}
