using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization;

/// <summary>
/// The pre-tokenizer of a byte-level tokenizer: a sequence of "Isolated" regex splits, each one
/// cutting every piece produced by the step before it. (The final ByteLevel step's byte mapping
/// happens in <see cref="BpeModel"/>.) Thread-safe.
/// </summary>
internal sealed class PreTokenizer
{
    /// <summary>GPT-2's split pattern, used when a ByteLevel step says use_regex: true.</summary>
    public const string ByteLevelPattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    [ThreadStatic] private static List<TextRange>? s_scratchA;
    [ThreadStatic] private static List<TextRange>? s_scratchB;

    private readonly CodePointRegex[] _splits;

    public PreTokenizer(IReadOnlyList<CodePointRegex> splits) => _splits = [.. splits];

    public IReadOnlyList<CodePointRegex> Splits => _splits;

    /// <summary>Appends the pieces of text[begin, end) to output (which must not be used by the caller meanwhile).</summary>
    public void Split(string text, int begin, int end, List<TextRange> output)
    {
        if (end <= begin) return;
        if (_splits.Length == 0)
        {
            output.Add(new TextRange(begin, end - begin));
            return;
        }
        // Alternate between two per-thread lists; the last step writes straight into output.
        var current = s_scratchA ??= [];
        var spare = s_scratchB ??= [];
        current.Clear();
        current.Add(new TextRange(begin, end - begin));
        for (var step = 0; step < _splits.Length; step++)
        {
            var last = step == _splits.Length - 1;
            var next = last ? output : spare;
            if (!last) next.Clear();
            foreach (var piece in current) _splits[step].SplitIsolated(text, piece.Start, piece.End, next);
            if (!last) (current, spare) = (spare, current);
        }
    }
}
