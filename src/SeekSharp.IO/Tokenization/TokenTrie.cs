namespace SeekSharp.IO.Tokenization;

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
