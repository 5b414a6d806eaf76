using Microsoft.Extensions.AI;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Agents.Chat;

/// <summary>
/// Turns M.E.AI messages and <see cref="ChatOptions"/> into a <see cref="PreparedChatRequest"/>: messages through
/// <see cref="MeaiMapping"/>, request-level tools, instructions and response format into the first system message
/// (where V3.2's encoder renders them), the thinking mode (<see cref="ThinkingSelection"/>), and the sampling fields.
/// What the prompt format cannot enforce is documented on <see cref="SeekSharpChatClient"/>.
/// </summary>
public sealed class ChatRequestBuilder(DeepSeekTokenizer tokenizer, EngineModelInfo model, SeekSharpChatClientOptions defaults)
{
    public PreparedChatRequest Build(IEnumerable<ChatMessage> chatMessages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(chatMessages);
        var messages = MeaiMapping.FromChatMessages(chatMessages).ToList();
        AddToSystemMessage(messages, options?.Instructions, OfferedTools(options), MeaiMapping.ToResponseFormat(options?.ResponseFormat));

        var mode = ThinkingSelection.Resolve(options, defaults.DefaultThinkingMode);
        var conversation = new Conversation(messages, new EncodeOptions { ThinkingMode = mode });
        if (!conversation.IsReadyForGeneration)
            throw new ArgumentException("the conversation must end with a user message or with the results of all tool calls of the last assistant message",
                nameof(chatMessages));
        var prompt = conversation.Render();
        var tokens = tokenizer.EncodeToIds(prompt);

        var request = new EngineRequest
        {
            PromptTokens = tokens,
            MaxNewTokens = options?.MaxOutputTokens ?? DefaultMaxNewTokens(tokens.Length),
            Temperature = options?.Temperature ?? 0f,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 0,
            Seed = options?.Seed is { } seed ? FoldSeed(seed) : null,
        };
        var stops = options?.StopSequences?.Where(s => !string.IsNullOrEmpty(s)).ToArray() ?? [];
        return new PreparedChatRequest(conversation, prompt, request, stops, ThinkingSelection.ReportsReasoning(options));
    }

    /// <summary>
    /// The tool declarations the prompt offers: all of ChatOptions.Tools for auto and require-any, none for
    /// <see cref="ChatToolMode.None"/>, only the named one for require-specific.
    /// </summary>
    public static IReadOnlyList<ToolDefinition> OfferedTools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || options.ToolMode is NoneChatToolMode) return [];
        var declarations = MeaiMapping.ToToolDefinitions(tools);
        if (options.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } required })
        {
            var named = declarations.Where(t => t.Name == required).ToArray();
            return named.Length > 0 ? named : throw new ArgumentException($"ToolMode requires function '{required}', which is not in ChatOptions.Tools");
        }
        return declarations;
    }

    private int DefaultMaxNewTokens(int promptTokens)
    {
        var left = model.MaxContextTokens - promptTokens;
        // when nothing is left the engine refuses the request and names the field
        return left > 0 ? Math.Min(defaults.DefaultMaxOutputTokens, left) : defaults.DefaultMaxOutputTokens;
    }

    private static int FoldSeed(long seed) => seed is >= int.MinValue and <= int.MaxValue ? (int)seed : (int)(seed ^ (seed >> 32));

    /// <summary>Request-level additions go into the first system message, which is created when there is none.</summary>
    private static void AddToSystemMessage(List<Message> messages, string? instructions, IReadOnlyList<ToolDefinition> tools, System.Text.Json.JsonElement? responseFormat)
    {
        if (string.IsNullOrEmpty(instructions) && tools.Count == 0 && responseFormat is null) return;
        var hasSystem = messages.Count > 0 && messages[0].Role == IO.Chat.ChatRole.System;
        var system = hasSystem ? messages[0] : Message.System(null);
        if (!string.IsNullOrEmpty(instructions))
            system = system with { Content = string.IsNullOrEmpty(system.Content) ? instructions : system.Content + "\n\n" + instructions };
        if (tools.Count > 0)
            system = system with { Tools = [.. system.Tools, .. tools.Where(t => system.Tools.All(own => own.Name != t.Name))] };
        if (responseFormat is not null) system = system with { ResponseFormat = responseFormat };
        if (hasSystem) messages[0] = system;
        else messages.Insert(0, system);
    }
}
