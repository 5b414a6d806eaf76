namespace SeekSharp.IO.Tokenization.Regex;

internal enum OpCode : byte
{
    /// <summary>Consume one code point if it is in Sets[A].</summary>
    Set,
    /// <summary>Try A first; on failure come back and try B.</summary>
    Split,
    /// <summary>Split whose first branch can only start with a code point of Sets[C]: when the next code
    /// point is not in it, go straight to B without leaving a backtrack entry.</summary>
    GuardedSplit,
    Jump,
    /// <summary>Run the sub-program at A (ends with Match) at the current position; continue at B if it
    /// matched (or, when negated, if it did not). The sub-match is atomic, as in Perl-style engines.</summary>
    Lookahead,
    NegatedLookahead,
    Assert,
    /// <summary>Greedy run of Sets[A] (a single-set * or +): consumes the longest run, then gives
    /// back one code point per backtrack, without a stack entry per character.</summary>
    SetLoop,
    Match,
}

internal readonly record struct Instruction(OpCode Op, int A, int B, int C = 0);

/// <summary>
/// Compiles a <see cref="RegexNode"/> into a small backtracking program (Thompson-style
/// instructions, executed leftmost-first like Oniguruma).
/// </summary>
internal sealed class RegexProgram
{
    private readonly List<Instruction> _code = [];
    private readonly List<CodePointSet> _sets = [];

    public Instruction[] Code { get; }
    public CodePointSet[] Sets { get; }

    public RegexProgram(RegexNode root)
    {
        Emit(root);
        _code.Add(new Instruction(OpCode.Match, 0, 0));
        Code = [.. _code];
        Sets = [.. _sets];
    }

    private int Here => _code.Count;

    private int Add(OpCode op, int a = 0, int b = 0)
    {
        _code.Add(new Instruction(op, a, b));
        return _code.Count - 1;
    }

    private void Patch(int at, int a, int b) => _code[at] = _code[at] with { A = a, B = b };

    private void Emit(RegexNode node)
    {
        switch (node)
        {
            case SetNode s:
                _sets.Add(s.Set);
                Add(OpCode.Set, _sets.Count - 1);
                break;
            case EmptyNode:
                break;
            case ConcatNode c:
                foreach (var item in c.Items) Emit(item);
                break;
            case AlternationNode alt:
                EmitAlternation(alt.Alternatives, 0);
                break;
            case RepeatNode r:
                EmitRepeat(r);
                break;
            case LookaheadNode look:
                var at = Add(look.Negated ? OpCode.NegatedLookahead : OpCode.Lookahead);
                var bodyStart = Here;
                Emit(look.Body);
                Add(OpCode.Match);
                Patch(at, bodyStart, Here);
                break;
            case AssertionNode a:
                Add(OpCode.Assert, (int)a.Kind);
                break;
            default:
                throw new InvalidOperationException($"unknown regex node {node.GetType().Name}");
        }
    }

    // a|b|c  =>  Split(L1, L2); L1: a; Jump End; L2: Split(L3, L4) ...
    private void EmitAlternation(IReadOnlyList<RegexNode> alternatives, int index)
    {
        if (index == alternatives.Count - 1)
        {
            Emit(alternatives[index]);
            return;
        }
        var split = AddSplitGuardedBy(alternatives[index]);
        Emit(alternatives[index]);
        var jump = Add(OpCode.Jump);
        var next = Here;
        EmitAlternation(alternatives, index + 1);
        Patch(split, split + 1, next);
        Patch(jump, Here, 0);
    }

    private void EmitRepeat(RepeatNode r)
    {
        for (var i = 0; i < r.Min; i++) Emit(r.Body);
        if (r.Max < 0 && r.Greedy && r.Body is SetNode set)
        {
            _sets.Add(set.Set);
            Add(OpCode.SetLoop, _sets.Count - 1);
            return;
        }
        if (r.Max < 0)
        {
            // L0: Split(body, exit); body; Jump L0
            var loop = Add(OpCode.Split);
            Emit(r.Body);
            Add(OpCode.Jump, loop);
            PatchChoice(loop, loop + 1, Here, r.Greedy);
            return;
        }
        // (m - n) nested optionals: Split(body, exit); body; Split(body, exit); body; ... exit
        var splits = new List<int>();
        for (var i = r.Min; i < r.Max; i++)
        {
            splits.Add(r.Greedy ? AddSplitGuardedBy(r.Body) : Add(OpCode.Split));
            Emit(r.Body);
        }
        foreach (var s in splits) PatchChoice(s, s + 1, Here, r.Greedy);
    }

    // A split before `branch` (taken first); guarded when the branch cannot match empty.
    private int AddSplitGuardedBy(RegexNode branch)
    {
        if (FirstSets.Of(branch) is not { } first) return Add(OpCode.Split);
        _sets.Add(first);
        _code.Add(new Instruction(OpCode.GuardedSplit, 0, 0, _sets.Count - 1));
        return _code.Count - 1;
    }

    private void PatchChoice(int at, int take, int skip, bool greedy)
    {
        if (greedy) Patch(at, take, skip);
        else Patch(at, skip, take);
    }
}
