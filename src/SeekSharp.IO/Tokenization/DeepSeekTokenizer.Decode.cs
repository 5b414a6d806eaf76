using System.Text;

namespace SeekSharp.IO.Tokenization;

public sealed partial class DeepSeekTokenizer
{
    /// <summary>
    /// Text of the ids, as HF tokenizers' decode: BPE tokens map back to bytes, which are decoded as
    /// UTF-8 with one U+FFFD per maximal invalid subsequence; an added token is emitted as its text
    /// and ends the byte run before it. skipSpecialTokens drops added tokens marked special.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id has no token.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var pending = new List<byte>();
        foreach (var id in ids)
        {
            if (TryGetAddedToken(id, out var added))
            {
                if (skipSpecialTokens && added.Special) continue;
                AppendBytes(text, pending);
                text.Append(added.Content);
                continue;
            }
            foreach (var b in TokenBytes(id)) pending.Add(b);
        }
        AppendBytes(text, pending);
        return text.ToString();
    }

    private static void AppendBytes(StringBuilder text, List<byte> pending)
    {
        if (pending.Count == 0) return;
        text.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)));
        pending.Clear();
    }
}
