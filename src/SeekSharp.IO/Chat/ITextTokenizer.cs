namespace SeekSharp.IO.Chat;

/// <summary>Turns prompt text into token ids (special-token text such as BOS must map to its single id).</summary>
public interface ITextTokenizer
{
    IReadOnlyList<int> Encode(string text);
}

/// <summary>Adapts a plain delegate, e.g. <c>tokenizer.Encode</c>, to <see cref="ITextTokenizer"/>.</summary>
public sealed class DelegateTextTokenizer(Func<string, IReadOnlyList<int>> encode) : ITextTokenizer
{
    public IReadOnlyList<int> Encode(string text) => encode(text);
}
