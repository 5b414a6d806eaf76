using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SeekSharp.Agents.Tools;

namespace SeekSharp.Agents.Loop;

/// <summary>
/// A small agent loop over any <see cref="IChatClient"/> (use a plain client, not one wrapped in function-invocation
/// middleware: the loop runs the tools itself): the user's message goes in, the model is called with the registry's
/// tools, each requested call is run and its result appended, and the model is called again until it answers without
/// calls or <see cref="AgentLoopOptions.MaxTurns"/> is reached. Reasoning follows DeepSeek-V3.2's rule: the
/// assistant messages of the current loop keep their <see cref="TextReasoningContent"/> (the model sees its own
/// thoughts between tool calls); when the next user message arrives, the reasoning of all earlier turns is dropped
/// from the history (their answers, calls and results stay). Not thread-safe: one run at a time.
/// </summary>
public sealed class AgentLoop
{
    private readonly IChatClient _client;
    private readonly ToolRegistry _tools;
    private readonly AgentLoopOptions _options;
    private readonly List<ChatMessage> _history = [];

    public AgentLoop(IChatClient client, ToolRegistry? tools = null, AgentLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _tools = tools ?? new ToolRegistry();
        _options = options ?? new AgentLoopOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxTurns, 1, nameof(options));
        Reset();
    }

    /// <summary>The conversation so far, as sent to the model.</summary>
    public IReadOnlyList<ChatMessage> History => _history;

    public ToolRegistry Tools => _tools;

    /// <summary>Forgets the conversation (the system prompt stays).</summary>
    public void Reset()
    {
        _history.Clear();
        if (!string.IsNullOrEmpty(_options.SystemPrompt)) _history.Add(new ChatMessage(ChatRole.System, _options.SystemPrompt));
    }

    /// <summary>Runs one user message to the end and returns the final response.</summary>
    public async Task<AgentFinished> RunAsync(string userMessage, CancellationToken cancellationToken = default)
    {
        AgentFinished? finished = null;
        await foreach (var e in RunStreamingAsync(userMessage, cancellationToken).ConfigureAwait(false))
            if (e is AgentFinished end) finished = end;
        return finished!;
    }

    /// <summary>Runs one user message, reporting reply pieces and tool calls as they happen; the last event is <see cref="AgentFinished"/>.</summary>
    public async IAsyncEnumerable<AgentEvent> RunStreamingAsync(string userMessage, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userMessage);
        DropEarlierReasoning();
        _history.Add(new ChatMessage(ChatRole.User, userMessage));
        var options = CallOptions();

        for (var turn = 1; ; turn++)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in _client.GetStreamingResponseAsync(_history, options, cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                yield return new ModelUpdate(update);
            }
            var response = updates.ToChatResponse();
            _history.AddRange(response.Messages);

            var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
            if (calls.Count == 0)
            {
                yield return new AgentFinished(AgentStopReason.Answered, turn, response);
                yield break;
            }

            var results = new List<AIContent>();
            foreach (var call in calls)
            {
                yield return new ToolCallStarted(call);
                var result = await _tools.InvokeAsync(call, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                yield return new ToolCallFinished(call, result);
            }
            _history.Add(new ChatMessage(ChatRole.Tool, results));

            if (turn == _options.MaxTurns)
            {
                yield return new AgentFinished(AgentStopReason.MaxTurnsReached, turn, response);
                yield break;
            }
        }
    }

    private ChatOptions? CallOptions()
    {
        if (_tools.Count == 0) return _options.ChatOptions;
        var options = _options.ChatOptions?.Clone() ?? new ChatOptions();
        options.Tools = _tools.ToChatTools();
        options.ToolMode ??= ChatToolMode.Auto;
        return options;
    }

    /// <summary>V3.2's retention rule at the start of a new user turn: earlier reasoning is not shown to the model again.</summary>
    private void DropEarlierReasoning()
    {
        for (var i = 0; i < _history.Count; i++)
        {
            var message = _history[i];
            if (message.Role != ChatRole.Assistant || !message.Contents.OfType<TextReasoningContent>().Any()) continue;
            var kept = message.Clone();
            kept.Contents = [.. message.Contents.Where(c => c is not TextReasoningContent)];
            _history[i] = kept;
        }
    }
}
