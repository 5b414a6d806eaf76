namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>
/// A set of Unicode code points defined by a predicate, with the Basic Multilingual Plane
/// precomputed as a bitmap so that the hot path is one array read. Astral code points
/// (emoji, rare CJK) fall back to the predicate.
/// </summary>
public sealed class CodePointSet
{
    private const int BmpSize = 0x10000;
    private readonly ulong[] _bmp = new ulong[BmpSize / 64];
    private readonly Func<int, bool> _predicate;

    public CodePointSet(Func<int, bool> predicate)
    {
        _predicate = predicate;
        for (var cp = 0; cp < BmpSize; cp++)
        {
            if (predicate(cp)) _bmp[cp >> 6] |= 1UL << (cp & 63);
        }
    }

    public bool Contains(int codePoint) =>
        (uint)codePoint < BmpSize
            ? (_bmp[codePoint >> 6] & (1UL << (codePoint & 63))) != 0
            : _predicate(codePoint);

    /// <summary>The predicate this set was built from (for composing unions and complements).</summary>
    public Func<int, bool> Predicate => _predicate;

    public static CodePointSet Union(IReadOnlyList<CodePointSet> sets)
    {
        var parts = sets.Select(s => s._predicate).ToArray();
        return new CodePointSet(cp =>
        {
            foreach (var p in parts)
                if (p(cp)) return true;
            return false;
        });
    }
}
