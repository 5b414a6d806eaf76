using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SeekSharp.Engine.Cache;

/// <summary>
/// The prefix-cache key of a full block: SHA-256 of (parent block's key, the block's token ids), first 128 bits. Equal
/// keys mean equal token prefixes up to the block's end (collisions aside: 2^-64 at a billion blocks).
/// </summary>
public readonly record struct BlockHash(UInt128 Value)
{
    public static BlockHash Root => default;

    public static BlockHash Chain(BlockHash parent, ReadOnlySpan<int> blockTokens)
    {
        Span<byte> input = stackalloc byte[16 + blockTokens.Length * sizeof(int)];
        MemoryMarshal.Write(input, in parent);
        MemoryMarshal.AsBytes(blockTokens).CopyTo(input[16..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);
        return new BlockHash(MemoryMarshal.Read<UInt128>(digest));
    }
}
