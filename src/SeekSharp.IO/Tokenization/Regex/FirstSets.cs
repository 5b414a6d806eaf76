namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>
/// The set of code points a match can begin with, used to skip start positions cheaply.
/// Null when a match can be empty (then every position must be tried).
/// </summary>
internal static class FirstSets
{
    public static CodePointSet? Of(RegexNode root)
    {
        if (root.Nullable) return null;
        var predicates = new List<Func<int, bool>>();
        Collect(root, predicates);
        var parts = predicates.ToArray();
        return new CodePointSet(cp =>
        {
            foreach (var p in parts)
                if (p(cp)) return true;
            return false;
        });
    }

    // Adds the predicates for the first consumed code point of node. Zero-width nodes add nothing
    // (the result is then a superset of the true first set, which is safe for skipping).
    private static void Collect(RegexNode node, List<Func<int, bool>> into)
    {
        switch (node)
        {
            case SetNode s:
                into.Add(s.Set.Contains);
                break;
            case AlternationNode a:
                foreach (var alt in a.Alternatives) Collect(alt, into);
                break;
            case RepeatNode r:
                Collect(r.Body, into);
                break;
            case ConcatNode c:
                foreach (var item in c.Items)
                {
                    Collect(item, into);
                    if (!item.Nullable) break;
                }
                break;
        }
    }
}
