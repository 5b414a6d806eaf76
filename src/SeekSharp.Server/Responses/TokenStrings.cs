using System.Text;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Server.Responses;

/// <summary>How one token id is shown in logprobs: its text (U+FFFD for a partial character) and its raw bytes.</summary>
public sealed class TokenStrings(DeepSeekTokenizer tokenizer)
{
    public string Text(int id) => tokenizer.IsKnownId(id) ? tokenizer.Decode([id]) : "";

    public byte[] Bytes(int id)
    {
        if (!tokenizer.IsKnownId(id)) return [];
        var token = tokenizer.IdToToken(id);
        return tokenizer.AddedTokens.Any(t => t.Id == id) ? Encoding.UTF8.GetBytes(token) : ByteLevelAlphabet.DecodeToken(token);
    }
}
