using System.Text;

namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>
/// Parses the Oniguruma (Ruby syntax) patterns found in HF tokenizer.json Split steps into a
/// <see cref="RegexNode"/> tree over code points. Supported: literals, escapes, classes with ranges,
/// nesting and \p{..}, '.', groups, lookahead, greedy/lazy quantifiers, ^ $ \A \z \Z \b \B.
/// Anything else (backreferences, lookbehind, inline flags, possessive or atomic groups) is
/// rejected with a <see cref="FormatException"/> rather than matched differently.
/// </summary>
internal sealed class RegexParser
{
    private readonly string _pattern;
    private readonly int[] _cps;
    private int _pos;

    private RegexParser(string pattern)
    {
        _pattern = pattern;
        var runes = new List<int>(pattern.Length);
        foreach (var rune in pattern.EnumerateRunes()) runes.Add(rune.Value);
        _cps = [.. runes];
    }

    public static RegexNode Parse(string pattern)
    {
        var parser = new RegexParser(pattern);
        var node = parser.ParseAlternation();
        if (!parser.AtEnd) throw parser.Error("unbalanced ')'");
        return node;
    }

    private bool AtEnd => _pos >= _cps.Length;
    private int Peek(int ahead = 0) => _pos + ahead < _cps.Length ? _cps[_pos + ahead] : -1;

    private FormatException Error(string problem) =>
        new($"regex /{_pattern}/: {problem} (at code point {_pos})");

    private RegexNode ParseAlternation()
    {
        var alternatives = new List<RegexNode> { ParseConcat() };
        while (Peek() == '|')
        {
            _pos++;
            alternatives.Add(ParseConcat());
        }
        return alternatives.Count == 1 ? alternatives[0] : new AlternationNode(alternatives);
    }

    private RegexNode ParseConcat()
    {
        var items = new List<RegexNode>();
        while (!AtEnd && Peek() != '|' && Peek() != ')')
            items.Add(ParseQuantified(ParseAtom()));
        return items.Count switch { 0 => new EmptyNode(), 1 => items[0], _ => new ConcatNode(items) };
    }

    private RegexNode ParseQuantified(RegexNode atom)
    {
        while (!AtEnd)
        {
            int min, max;
            var c = Peek();
            var simple = c is '?' or '*' or '+';
            if (c == '?') (min, max) = (0, 1);
            else if (c == '*') (min, max) = (0, -1);
            else if (c == '+') (min, max) = (1, -1);
            else if (c == '{' && TryParseInterval(out min, out max)) { }
            else break;
            if (simple) _pos++;
            var greedy = true;
            if (Peek() == '?') { greedy = false; _pos++; }
            else if (simple && Peek() == '+') throw Error("possessive quantifiers are not supported");
            if (max >= 0 && max < min) throw Error("quantifier {n,m} with m < n");
            if (Math.Max(min, max) > 1000) throw Error("repeat counts above 1000 are not supported");
            if (max < 0 && atom.Nullable) throw Error("an unbounded repeat of a sub-pattern that can match empty is not supported");
            atom = new RepeatNode(atom, min, max, greedy);
        }
        return atom;
    }

    /// <summary>{n}, {n,}, {n,m}, {,m}; anything else leaves '{' to be a literal, as Oniguruma does.</summary>
    private bool TryParseInterval(out int min, out int max)
    {
        min = max = 0;
        var p = _pos + 1;
        var lo = ReadNumber(ref p);
        var hi = lo;
        if (p < _cps.Length && _cps[p] == ',')
        {
            p++;
            hi = ReadNumber(ref p) ?? -1;
            if (lo is null && hi < 0) return false;
        }
        else if (lo is null) return false;
        if (p >= _cps.Length || _cps[p] != '}') return false;
        min = lo ?? 0;
        max = hi ?? min;
        _pos = p + 1;
        return true;
    }

    private int? ReadNumber(ref int p)
    {
        var start = p;
        var value = 0;
        while (p < _cps.Length && _cps[p] is >= '0' and <= '9' && value < 100000) value = value * 10 + (_cps[p++] - '0');
        return p > start ? value : null;
    }

    private RegexNode ParseAtom()
    {
        var c = _cps[_pos++];
        switch (c)
        {
            case '(':
                return ParseGroup();
            case '[':
                return new SetNode(new CodePointSet(ParseClassBody()));
            case '.':
                return new SetNode(new CodePointSet(cp => cp != '\n'));
            case '^':
                return new AssertionNode(AssertionKind.LineStart);
            case '$':
                return new AssertionNode(AssertionKind.LineEnd);
            case '*' or '+' or '?':
                _pos--;
                throw Error("quantifier without anything to repeat");
            case '\\':
                return ParseEscapeOutsideClass();
            default:
                return Literal(c);
        }
    }

    private static SetNode Literal(int cp) => new(new CodePointSet(x => x == cp));

    private RegexNode ParseGroup()
    {
        var lookahead = false;
        var negated = false;
        if (Peek() == '?')
        {
            var kind = Peek(1);
            if (kind == ':') _pos += 2;
            else if (kind == '=') { _pos += 2; lookahead = true; }
            else if (kind == '!') { _pos += 2; lookahead = true; negated = true; }
            else if (kind == '<' && Peek(2) is '=' or '!') throw Error("lookbehind is not supported");
            else if (kind == '<' || kind == '\'') SkipGroupName(kind == '<' ? '>' : '\'');
            else if (kind == '>') throw Error("atomic groups are not supported");
            else throw Error("inline options and other (?...) constructs are not supported");
        }
        var body = ParseAlternation();
        if (Peek() != ')') throw Error("missing ')'");
        _pos++;
        return lookahead ? new LookaheadNode(body, negated) : body;
    }

    private void SkipGroupName(char close)
    {
        _pos += 2;
        while (!AtEnd && Peek() != close) _pos++;
        if (AtEnd) throw Error("unterminated group name");
        _pos++;
    }

    private RegexNode ParseEscapeOutsideClass()
    {
        if (AtEnd) throw Error("pattern ends with '\\'");
        switch (Peek())
        {
            case 'A': _pos++; return new AssertionNode(AssertionKind.TextStart);
            case 'z': _pos++; return new AssertionNode(AssertionKind.TextEnd);
            case 'Z': _pos++; return new AssertionNode(AssertionKind.TextEndBeforeFinalNewline);
            case 'b': _pos++; return new AssertionNode(AssertionKind.WordBoundary);
            case 'B': _pos++; return new AssertionNode(AssertionKind.NotWordBoundary);
        }
        var (cp, predicate) = ParseEscape(insideClass: false);
        return predicate is not null ? new SetNode(new CodePointSet(predicate)) : Literal(cp);
    }

    /// <summary>Reads an escape after '\': either a class (predicate) or a single code point.</summary>
    private (int CodePoint, Func<int, bool>? Predicate) ParseEscape(bool insideClass)
    {
        if (AtEnd) throw Error("pattern ends with '\\'");
        var c = _cps[_pos++];
        switch (c)
        {
            case 'd': return (0, UnicodeClasses.IsDigit);
            case 'D': return (0, cp => !UnicodeClasses.IsDigit(cp));
            case 's': return (0, UnicodeClasses.IsWhiteSpace);
            case 'S': return (0, cp => !UnicodeClasses.IsWhiteSpace(cp));
            case 'w': return (0, UnicodeClasses.IsWord);
            case 'W': return (0, cp => !UnicodeClasses.IsWord(cp));
            case 'h': return (0, UnicodeClasses.IsHexDigit);
            case 'H': return (0, cp => !UnicodeClasses.IsHexDigit(cp));
            case 'p': return (0, ParseProperty(negated: false));
            case 'P': return (0, ParseProperty(negated: true));
            case 'n': return ('\n', null);
            case 'r': return ('\r', null);
            case 't': return ('\t', null);
            case 'f': return ('\f', null);
            case 'v': return (0x0B, null);
            case 'a': return (0x07, null);
            case 'e': return (0x1B, null);
            case 'b' when insideClass: return (0x08, null);
            case 'x': return (ParseHexEscape(), null);
            case 'u': return (ParseFixedHex(4), null);
            case '0': return (ParseOctal(), null);
        }
        if (c is >= '1' and <= '9') throw Error("backreferences are not supported");
        if (c < 0x80 && char.IsAsciiLetter((char)c)) throw Error($"escape '\\{(char)c}' is not supported");
        return (c, null);
    }

    private Func<int, bool> ParseProperty(bool negated)
    {
        if (Peek() != '{') throw Error("\\p must be followed by {name}");
        _pos++;
        var name = new StringBuilder();
        while (!AtEnd && Peek() != '}') name.Append(char.ConvertFromUtf32(_cps[_pos++]));
        if (AtEnd) throw Error("unterminated \\p{");
        _pos++;
        var text = name.ToString();
        if (text.StartsWith('^')) { negated = !negated; text = text[1..]; }
        var predicate = UnicodeClasses.Property(text) ?? throw Error($"Unicode property '{text}' is not supported");
        return negated ? cp => !predicate(cp) : predicate;
    }

    private int ParseHexEscape()
    {
        if (Peek() != '{') return ParseFixedHex(2);
        _pos++;
        var value = 0;
        var digits = 0;
        while (!AtEnd && Peek() != '}')
        {
            value = value * 16 + HexValue(_cps[_pos++]);
            if (++digits > 8) throw Error("\\x{...} too long");
        }
        if (AtEnd || digits == 0) throw Error("bad \\x{...}");
        _pos++;
        return value;
    }

    private int ParseFixedHex(int count)
    {
        var value = 0;
        for (var i = 0; i < count; i++)
        {
            if (AtEnd) throw Error("truncated hex escape");
            value = value * 16 + HexValue(_cps[_pos++]);
        }
        return value;
    }

    private int ParseOctal()
    {
        var value = 0;
        for (var i = 0; i < 2 && Peek() is >= '0' and <= '7'; i++) value = value * 8 + (_cps[_pos++] - '0');
        return value;
    }

    private int HexValue(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => throw Error("bad hex digit"),
    };

    /// <summary>Parses after '[' up to and including the closing ']'.</summary>
    private Func<int, bool> ParseClassBody()
    {
        var negated = false;
        if (Peek() == '^') { negated = true; _pos++; }
        var ranges = new List<(int Lo, int Hi)>();
        var predicates = new List<Func<int, bool>>();
        var first = true;
        while (true)
        {
            if (AtEnd) throw Error("unterminated character class");
            var c = Peek();
            if (c == ']' && !first) { _pos++; break; }
            first = false;
            if (c == '[')
            {
                if (Peek(1) == ':') throw Error("POSIX bracket expressions are not supported");
                _pos++;
                predicates.Add(ParseClassBody());
                continue;
            }
            if (c == '&' && Peek(1) == '&') throw Error("class intersection '&&' is not supported");
            var (lo, predicate) = ParseClassAtom();
            if (predicate is not null) { predicates.Add(predicate); continue; }
            if (Peek() == '-' && Peek(1) != ']' && Peek(1) != -1)
            {
                _pos++;
                var (hi, hiPredicate) = ParseClassAtom();
                if (hiPredicate is not null) throw Error("a class escape cannot end a range");
                if (hi < lo) throw Error("empty range in character class");
                ranges.Add((lo, hi));
            }
            else ranges.Add((lo, lo));
        }
        var rangeArray = ranges.ToArray();
        var predicateArray = predicates.ToArray();
        bool Inside(int cp)
        {
            foreach (var (lo, hi) in rangeArray)
                if (cp >= lo && cp <= hi) return true;
            foreach (var p in predicateArray)
                if (p(cp)) return true;
            return false;
        }
        return negated ? cp => !Inside(cp) : Inside;
    }

    private (int CodePoint, Func<int, bool>? Predicate) ParseClassAtom()
    {
        var c = _cps[_pos++];
        return c == '\\' ? ParseEscape(insideClass: true) : (c, null);
    }
}
