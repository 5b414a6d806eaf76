using System.Runtime.InteropServices;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// Copies a sequence's block list into a step's block table. A decode step at 128 rows × 128K positions copies 262K
/// entries: element by element through <see cref="IReadOnlyList{T}"/> that took 2.4 ms of host time a step on the H200's
/// host (BENCHMARKS.md round 12), a span copy takes a few microseconds.
/// </summary>
internal static class BlockLists
{
    /// <summary>The first destination.Length entries of <paramref name="blocks"/>: a span copy where the list is an array or a List.</summary>
    public static void CopyTo(IReadOnlyList<int> blocks, Span<int> destination)
    {
        switch (blocks)
        {
            case int[] array:
                array.AsSpan(0, destination.Length).CopyTo(destination);
                break;
            case List<int> list:
                CollectionsMarshal.AsSpan(list)[..destination.Length].CopyTo(destination);
                break;
            default:
                for (var b = 0; b < destination.Length; b++) destination[b] = blocks[b];
                break;
        }
    }
}
