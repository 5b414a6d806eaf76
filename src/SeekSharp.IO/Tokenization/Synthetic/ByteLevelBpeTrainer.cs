namespace SeekSharp.IO.Tokenization.Synthetic;

/// <summary>
/// Learns byte-level BPE merges from pre-tokenized text, deterministically: every round merges the most frequent
/// adjacent pair over all pieces (ties: the pair whose left, then right, token string sorts first, ordinal), the
/// way HF's BpeTrainer does apart from its tie order. Small and plain: meant for vocabularies of a few thousand.
/// </summary>
internal static class ByteLevelBpeTrainer
{
    /// <summary>The learned merges, in rank order, and the new token strings they created (in id order).</summary>
    public sealed record Result(IReadOnlyList<(string Left, string Right)> Merges, IReadOnlyList<string> NewTokens);

    /// <param name="pieceCounts">Raw text pieces (as the pre-tokenizer cuts them) and how often each occurs.</param>
    /// <param name="newTokenCount">Stop once this many new tokens exist (a merge may recreate a known token).</param>
    public static Result Train(IReadOnlyDictionary<string, int> pieceCounts, int newTokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newTokenCount);
        var symbols = new List<string>();
        var symbolIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++) Intern(ByteLevelAlphabet.ToChar((byte)b).ToString());

        var words = new List<(List<int> Symbols, int Count)>();
        foreach (var piece in pieceCounts.Keys.Order(StringComparer.Ordinal))
        {
            var mapped = ByteLevelAlphabet.Encode(System.Text.Encoding.UTF8.GetBytes(piece));
            if (mapped.Length < 2) continue;
            words.Add(([.. mapped.Select(c => Intern(c.ToString()))], pieceCounts[piece]));
        }

        var merges = new List<(string, string)>();
        var newTokens = new List<string>();
        var pairCounts = new Dictionary<long, long>();
        while (newTokens.Count < newTokenCount)
        {
            pairCounts.Clear();
            foreach (var (word, count) in words)
                for (var i = 0; i + 1 < word.Count; i++)
                    pairCounts[Key(word[i], word[i + 1])] = pairCounts.GetValueOrDefault(Key(word[i], word[i + 1])) + count;
            if (pairCounts.Count == 0)
                throw new InvalidOperationException($"the corpus allows only {newTokens.Count} merges, {newTokenCount} were asked for");

            var best = PickBest(pairCounts, symbols);
            int left = (int)(best >> 32), right = (int)(best & 0xFFFFFFFF);
            var merged = symbols[left] + symbols[right];
            if (!symbolIds.ContainsKey(merged)) newTokens.Add(merged);
            var mergedId = Intern(merged);
            merges.Add((symbols[left], symbols[right]));
            foreach (var (word, _) in words) MergeInPlace(word, left, right, mergedId);
        }
        return new Result(merges, newTokens);

        int Intern(string symbol)
        {
            if (symbolIds.TryGetValue(symbol, out var id)) return id;
            symbolIds[symbol] = symbols.Count;
            symbols.Add(symbol);
            return symbols.Count - 1;
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static long PickBest(Dictionary<long, long> pairCounts, List<string> symbols)
    {
        long best = 0, bestCount = -1;
        foreach (var (pair, count) in pairCounts)
        {
            if (count < bestCount) continue;
            if (count == bestCount && Compare(pair, best, symbols) >= 0) continue;
            best = pair;
            bestCount = count;
        }
        return best;
    }

    private static int Compare(long a, long b, List<string> symbols)
    {
        var byLeft = string.CompareOrdinal(symbols[(int)(a >> 32)], symbols[(int)(b >> 32)]);
        return byLeft != 0 ? byLeft : string.CompareOrdinal(symbols[(int)(a & 0xFFFFFFFF)], symbols[(int)(b & 0xFFFFFFFF)]);
    }

    /// <summary>Replaces each non-overlapping (left, right) pair, scanning left to right.</summary>
    private static void MergeInPlace(List<int> word, int left, int right, int merged)
    {
        var write = 0;
        for (var read = 0; read < word.Count; read++)
        {
            if (read + 1 < word.Count && word[read] == left && word[read + 1] == right)
            {
                word[write++] = merged;
                read++;
            }
            else
            {
                word[write++] = word[read];
            }
        }
        word.RemoveRange(write, word.Count - write);
    }
}
