namespace SeekSharp.IO.Chat;

/// <summary>
/// An immutable conversation with the options it is rendered with: renders to the V3.2 prompt (or its tokens)
/// in one call and knows which assistant reasoning the model will see.
/// </summary>
public sealed class Conversation
{
    public Conversation(IEnumerable<Message> messages, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Messages = [.. messages];
        Options = options ?? EncodeOptions.Chat;
        LastUserIndex = DeepSeekV32Encoder.FindLastUserIndex([.. Options.Context, .. Messages]) - Options.Context.Count;
    }

    public IReadOnlyList<Message> Messages { get; }

    public EncodeOptions Options { get; }

    /// <summary>Index into <see cref="Messages"/> of the last user/developer message; negative when it is in the context or absent.</summary>
    public int LastUserIndex { get; }

    /// <summary>The prompt ends with a user/developer turn or a complete tool-result block: the model speaks next.</summary>
    public bool IsReadyForGeneration
    {
        get
        {
            var all = Options.Context.Concat(Messages).ToList();
            if (all.Count == 0) return false;
            var last = all[^1];
            if (last.Role is ChatRole.User or ChatRole.Developer) return true;
            if (last.Role != ChatRole.Tool) return false;
            var owner = all.Count - 1;
            while (owner >= 0 && all[owner].Role == ChatRole.Tool) owner--;
            return owner >= 0 && all[owner].ToolCalls.Count == all.Count - 1 - owner;
        }
    }

    /// <summary>
    /// True when the reasoning of <c>Messages[index]</c> is part of the prompt: thinking mode and after the last
    /// user/developer message (the current tool loop). Reasoning of every earlier turn is dropped.
    /// </summary>
    public bool KeepsReasoning(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Messages.Count);
        return Messages[index].Role == ChatRole.Assistant && DeepSeekV32Encoder.RendersReasoning(Options.ThinkingMode, index, LastUserIndex);
    }

    /// <summary>The same conversation with the reasoning the prompt would drop removed (what a client needs to keep).</summary>
    public Conversation WithoutDroppedReasoning() =>
        new(Messages.Select((m, i) => m.Reasoning is null || KeepsReasoning(i) ? m : m with { Reasoning = null }), Options);

    public Conversation Append(params Message[] messages) => new([.. Messages, .. messages], Options);

    public Conversation WithOptions(EncodeOptions options) => new(Messages, options);

    /// <summary>The exact prompt text.</summary>
    public string Render() => DeepSeekV32Encoder.Encode(Messages, Options);

    /// <summary>The prompt as token ids.</summary>
    public IReadOnlyList<int> RenderTokens(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.Encode(Render());
    }

    public IReadOnlyList<int> RenderTokens(Func<string, IReadOnlyList<int>> encode) => RenderTokens(new DelegateTextTokenizer(encode));
}

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
