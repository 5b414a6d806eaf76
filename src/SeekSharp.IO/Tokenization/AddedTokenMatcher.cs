using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization;

/// <summary>
/// Finds added tokens in text the way HF's AddedVocabulary does: a leftmost-longest scan over the
/// non-normalized tokens, then the same over the normalized ones inside the stretches left over
/// (the normalizer is the identity here). single_word, lstrip and rstrip are honoured.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly TokenTrie _raw;
    private readonly TokenTrie _normalized;

    public AddedTokenMatcher(IReadOnlyList<AddedToken> tokens)
    {
        // Special tokens first, then the others, each in file order (the order HF builds its tries in).
        var ordered = tokens.Where(t => t.Special).Concat(tokens.Where(t => !t.Special)).ToList();
        _raw = new TokenTrie(ordered.Where(t => !t.Normalized));
        _normalized = new TokenTrie(ordered.Where(t => t.Normalized));
    }

    public bool IsEmpty => _raw.IsEmpty && _normalized.IsEmpty;

    /// <summary>Cuts [0, text.Length) into segments; Token is null for plain text segments.</summary>
    public void Split(string text, List<Segment> output)
    {
        if (_normalized.IsEmpty)
        {
            Find(_raw, text, 0, text.Length, output);
            return;
        }
        var firstPass = new List<Segment>();
        Find(_raw, text, 0, text.Length, firstPass);
        foreach (var segment in firstPass)
        {
            if (segment.Token is not null) output.Add(segment);
            else Find(_normalized, text, segment.Range.Start, segment.Range.End, output);
        }
    }

    private static void Find(TokenTrie trie, string text, int begin, int end, List<Segment> output)
    {
        var segmentStart = begin;
        var pos = begin;
        while (pos < end)
        {
            var token = trie.LongestAt(text, pos, end);
            if (token is null) { pos++; continue; }
            var start = pos;
            var stop = pos + token.Content.Length;
            pos = stop;
            if (token.SingleWord && !StandsAlone(text, begin, end, start, stop)) continue;
            if (token.LStrip)
            {
                var newStart = start;
                while (newStart > begin && UnicodeClasses.IsWhiteSpace(CodePointBefore(text, newStart, out var w))) newStart -= w;
                start = Math.Max(newStart, segmentStart);
            }
            if (token.RStrip)
            {
                while (stop < end && UnicodeClasses.IsWhiteSpace(CodePointRegex.ReadCodePoint(text, stop, end, out var w))) stop += w;
                pos = stop;
            }
            if (start > segmentStart) output.Add(new Segment(new TextRange(segmentStart, start - segmentStart), null));
            output.Add(new Segment(new TextRange(start, stop - start), token));
            segmentStart = stop;
        }
        if (end > segmentStart) output.Add(new Segment(new TextRange(segmentStart, end - segmentStart), null));
    }

    private static bool StandsAlone(string text, int begin, int end, int start, int stop)
    {
        var wordBefore = start > begin && UnicodeClasses.IsWord(CodePointBefore(text, start, out _));
        var wordAfter = stop < end && UnicodeClasses.IsWord(CodePointRegex.ReadCodePoint(text, stop, end, out _));
        return !wordBefore && !wordAfter;
    }

    private static int CodePointBefore(string text, int pos, out int width)
    {
        if (pos >= 2 && char.IsLowSurrogate(text[pos - 1]) && char.IsHighSurrogate(text[pos - 2]))
        {
            width = 2;
            return char.ConvertToUtf32(text[pos - 2], text[pos - 1]);
        }
        width = 1;
        return text[pos - 1];
    }

    internal readonly record struct Segment(TextRange Range, AddedToken? Token);
}

/// <summary>An entry of tokenizer.json's added_tokens: matched verbatim in text before pre-tokenization.</summary>
/// <param name="Special">Dropped by Decode(skipSpecialTokens: true).</param>
/// <param name="LStrip">The match absorbs whitespace on its left.</param>
/// <param name="RStrip">The match absorbs whitespace on its right.</param>
/// <param name="SingleWord">Only matches when not glued to word characters on either side.</param>
/// <param name="Normalized">Matched against normalized text (with no normalizer: in a second pass).</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);

/// <summary>A character trie over added-token contents, answering "longest token starting here".</summary>
internal sealed class TokenTrie
{
    private readonly Node _root = new();
    private readonly bool[] _firstChars = new bool[char.MaxValue + 1];

    public TokenTrie(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens)
        {
            if (token.Content.Length == 0) continue;
            var node = _root;
            foreach (var c in token.Content)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= token; // the first of two identical contents wins, as in HF's trie
            _firstChars[token.Content[0]] = true;
            IsEmpty = false;
        }
    }

    public bool IsEmpty { get; } = true;

    public AddedToken? LongestAt(string text, int pos, int end)
    {
        if (!_firstChars[text[pos]]) return null;
        AddedToken? best = null;
        var node = _root;
        for (var i = pos; i < end && node.Children is not null && node.Children.TryGetValue(text[i], out var child); i++)
        {
            node = child;
            if (node.Token is not null) best = node.Token;
        }
        return best;
    }

    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }
}
