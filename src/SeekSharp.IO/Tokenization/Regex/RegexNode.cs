namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>Syntax tree of a parsed pattern (the subset of Oniguruma syntax that tokenizer files use).</summary>
internal abstract record RegexNode
{
    /// <summary>True when the node can match without consuming input.</summary>
    public abstract bool Nullable { get; }
}

/// <summary>One code point from a set (a literal, a class, an escape like \s, or '.').</summary>
internal sealed record SetNode(CodePointSet Set) : RegexNode
{
    public override bool Nullable => false;
}

internal sealed record ConcatNode(IReadOnlyList<RegexNode> Items) : RegexNode
{
    public override bool Nullable => Items.All(i => i.Nullable);
}

/// <summary>Ordered alternation: the first alternative that leads to an overall match wins.</summary>
internal sealed record AlternationNode(IReadOnlyList<RegexNode> Alternatives) : RegexNode
{
    public override bool Nullable => Alternatives.Any(a => a.Nullable);
}

/// <summary>Quantifier; Max = -1 means unbounded.</summary>
internal sealed record RepeatNode(RegexNode Body, int Min, int Max, bool Greedy) : RegexNode
{
    public override bool Nullable => Min == 0 || Body.Nullable;
}

/// <summary>(?=...) or (?!...): zero-width test of what follows.</summary>
internal sealed record LookaheadNode(RegexNode Body, bool Negated) : RegexNode
{
    public override bool Nullable => true;
}

internal enum AssertionKind
{
    LineStart,
    LineEnd,
    TextStart,
    TextEnd,
    TextEndBeforeFinalNewline,
    WordBoundary,
    NotWordBoundary,
}

internal sealed record AssertionNode(AssertionKind Kind) : RegexNode
{
    public override bool Nullable => true;
}

internal sealed record EmptyNode : RegexNode
{
    public override bool Nullable => true;
}
