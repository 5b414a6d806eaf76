namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>A stretch [Start, Start + Length) of a string, in UTF-16 units.</summary>
internal readonly record struct TextRange(int Start, int Length)
{
    public int End => Start + Length;
}
