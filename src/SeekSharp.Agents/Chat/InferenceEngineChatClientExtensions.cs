using Microsoft.Extensions.AI;
using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Agents.Chat;

/// <summary>The M.E.AI provider idiom: <c>engine.AsIChatClient(tokenizer)</c>, then <c>ChatClientBuilder</c> middleware on top.</summary>
public static class InferenceEngineChatClientExtensions
{
    public static IChatClient AsIChatClient(this IInferenceEngine engine, DeepSeekTokenizer tokenizer, SeekSharpChatClientOptions? options = null) =>
        new SeekSharpChatClient(engine, tokenizer, options);
}
