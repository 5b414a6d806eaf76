namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>
/// A regex engine that matches on Unicode code points (scalar values), not UTF-16 units, so that
/// \p{L}, \p{S}, [^...] and friends see an emoji or a CJK Extension-B ideograph as one character,
/// as Oniguruma inside HF tokenizers does. Positions are UTF-16 indexes into the subject string.
/// Immutable and thread-safe; per-thread backtracking stacks are reused.
/// </summary>
public sealed class CodePointRegex
{
    [ThreadStatic] private static int[]? s_stack;

    private readonly Instruction[] _code;
    private readonly CodePointSet[] _sets;
    private readonly CodePointSet? _firstSet;

    /// <param name="pattern">An Oniguruma/Ruby-syntax pattern; unsupported constructs throw <see cref="FormatException"/>.</param>
    public CodePointRegex(string pattern)
    {
        Pattern = pattern;
        var root = RegexParser.Parse(pattern);
        var program = new RegexProgram(root);
        _code = program.Code;
        _sets = program.Sets;
        _firstSet = FirstSets.Of(root);
    }

    public string Pattern { get; }

    /// <summary>Leftmost-first match starting exactly at <paramref name="position"/>; returns its end or -1.</summary>
    public int MatchAt(string text, int begin, int end, int position)
    {
        var stack = s_stack ??= new int[256];
        var found = Run(text, begin, end, 0, position, ref stack, 0, out var matchEnd);
        s_stack = stack;
        return found ? matchEnd : -1;
    }

    /// <summary>All non-overlapping matches in text, scanning left to right (like find_iter).</summary>
    public IReadOnlyList<(int Start, int Length)> Matches(string text)
    {
        var result = new List<(int, int)>();
        ForEachMatch(text, 0, text.Length, (s, e) => result.Add((s, e - s)));
        return result;
    }

    /// <summary>
    /// Cuts [begin, end) into "Isolated" pieces: every match and every stretch between matches,
    /// in order, empty pieces dropped. Empty matches still act as cut points, as in HF tokenizers.
    /// </summary>
    internal void SplitIsolated(string text, int begin, int end, List<TextRange> output)
    {
        var previous = begin;
        var pos = begin;
        while (pos < end)
        {
            var cp = ReadCodePoint(text, pos, end, out var width);
            if (_firstSet is not null && !_firstSet.Contains(cp)) { pos += width; continue; }
            var matchEnd = MatchAt(text, begin, end, pos);
            if (matchEnd < 0) { pos += width; continue; }
            if (pos > previous) output.Add(new TextRange(previous, pos - previous));
            if (matchEnd > pos)
            {
                output.Add(new TextRange(pos, matchEnd - pos));
                pos = matchEnd;
            }
            else pos += width;
            previous = matchEnd;
        }
        if (end > previous) output.Add(new TextRange(previous, end - previous));
    }

    private void ForEachMatch(string text, int begin, int end, Action<int, int> onMatch)
    {
        var pos = begin;
        while (pos < end)
        {
            ReadCodePoint(text, pos, end, out var width);
            var matchEnd = MatchAt(text, begin, end, pos);
            if (matchEnd < 0) { pos += width; continue; }
            onMatch(pos, matchEnd);
            pos = matchEnd > pos ? matchEnd : pos + width;
        }
    }

    internal static int ReadCodePoint(string text, int pos, int end, out int width)
    {
        var c = text[pos];
        if (char.IsHighSurrogate(c) && pos + 1 < end && char.IsLowSurrogate(text[pos + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, text[pos + 1]);
        }
        width = 1;
        return c;
    }

    private bool Run(string s, int begin, int end, int pc, int pos, ref int[] stack, int stackBase, out int matchEnd)
    {
        var code = _code;
        var sp = stackBase;
        while (true)
        {
            var ins = code[pc];
            switch (ins.Op)
            {
                case OpCode.Set:
                    if (pos < end)
                    {
                        var cp = ReadCodePoint(s, pos, end, out var width);
                        if (_sets[ins.A].Contains(cp)) { pos += width; pc++; continue; }
                    }
                    break;
                case OpCode.Split:
                    if (sp + 2 > stack.Length) Array.Resize(ref stack, stack.Length * 2);
                    stack[sp++] = ins.B;
                    stack[sp++] = pos;
                    pc = ins.A;
                    continue;
                case OpCode.GuardedSplit:
                    if (pos >= end || !_sets[ins.C].Contains(ReadCodePoint(s, pos, end, out _)))
                    {
                        pc = ins.B;
                        continue;
                    }
                    if (sp + 2 > stack.Length) Array.Resize(ref stack, stack.Length * 2);
                    stack[sp++] = ins.B;
                    stack[sp++] = pos;
                    pc = ins.A;
                    continue;
                case OpCode.Jump:
                    pc = ins.A;
                    continue;
                case OpCode.Lookahead or OpCode.NegatedLookahead:
                    var matched = Run(s, begin, end, ins.A, pos, ref stack, sp, out _);
                    if (matched == (ins.Op == OpCode.Lookahead)) { pc = ins.B; continue; }
                    break;
                case OpCode.Assert:
                    if (Holds((AssertionKind)ins.A, s, begin, end, pos)) { pc++; continue; }
                    break;
                case OpCode.SetLoop:
                    var set = _sets[ins.A];
                    var runStart = pos;
                    while (pos < end)
                    {
                        var cp = ReadCodePoint(s, pos, end, out var width);
                        if (!set.Contains(cp)) break;
                        pos += width;
                    }
                    if (pos > runStart)
                    {
                        if (sp + 3 > stack.Length) Array.Resize(ref stack, stack.Length * 2);
                        stack[sp++] = runStart;
                        stack[sp++] = pos;
                        stack[sp++] = ~(pc + 1);
                    }
                    pc++;
                    continue;
                case OpCode.Match:
                    matchEnd = pos;
                    return true;
            }
            // failure: resume the most recent untried alternative
            if (sp == stackBase)
            {
                matchEnd = -1;
                return false;
            }
            var top = stack[sp - 1];
            if (top >= 0)
            {
                pos = stack[sp - 1];
                pc = stack[sp - 2];
                sp -= 2;
                continue;
            }
            // a SetLoop entry [loopStart, current, ~next]: give back one code point
            var loopStart = stack[sp - 3];
            var current = stack[sp - 2];
            current -= current - 2 >= loopStart && char.IsLowSurrogate(s[current - 1]) && char.IsHighSurrogate(s[current - 2]) ? 2 : 1;
            if (current == loopStart) sp -= 3;
            else stack[sp - 2] = current;
            pos = current;
            pc = ~top;
        }
    }

    private static bool Holds(AssertionKind kind, string s, int begin, int end, int pos) => kind switch
    {
        AssertionKind.LineStart => pos == begin || s[pos - 1] == '\n',
        AssertionKind.LineEnd => pos == end || s[pos] == '\n',
        AssertionKind.TextStart => pos == begin,
        AssertionKind.TextEnd => pos == end,
        AssertionKind.TextEndBeforeFinalNewline => pos == end || (pos == end - 1 && s[pos] == '\n'),
        AssertionKind.WordBoundary => WordBefore(s, begin, pos) != WordAfter(s, end, pos),
        AssertionKind.NotWordBoundary => WordBefore(s, begin, pos) == WordAfter(s, end, pos),
        _ => false,
    };

    private static bool WordAfter(string s, int end, int pos) =>
        pos < end && UnicodeClasses.IsWord(ReadCodePoint(s, pos, end, out _));

    private static bool WordBefore(string s, int begin, int pos)
    {
        if (pos <= begin) return false;
        var start = pos - 1;
        if (char.IsLowSurrogate(s[start]) && start > begin && char.IsHighSurrogate(s[start - 1])) start--;
        return UnicodeClasses.IsWord(ReadCodePoint(s, start, pos, out _));
    }
}

/// <summary>A stretch [Start, Start + Length) of a string, in UTF-16 units.</summary>
internal readonly record struct TextRange(int Start, int Length)
{
    public int End => Start + Length;
}
