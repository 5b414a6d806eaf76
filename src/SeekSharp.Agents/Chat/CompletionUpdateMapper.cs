using Microsoft.Extensions.AI;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Chat.Parsing;
using SeekSharp.IO.Tokenization;
using EngineFinishReason = SeekSharp.Engine.FinishReason;

namespace SeekSharp.Agents.Chat;

/// <summary>
/// Turns the tokens of one completion into M.E.AI streaming updates: ids → text (<see cref="StreamingDetokenizer"/>,
/// never half a character) → stop sequences (<see cref="StopSequenceFilter"/>) → <see cref="StreamingDsmlParser"/>
/// events → <see cref="TextReasoningContent"/>, <see cref="TextContent"/> and <see cref="FunctionCallContent"/>
/// (with generated call ids). <see cref="Complete"/> adds the finish reason and usage. One instance per completion.
/// </summary>
public sealed class CompletionUpdateMapper
{
    /// <summary>
    /// Key in the last update's AdditionalProperties (which ToChatResponse moves onto the response message): why the
    /// completion did not parse as the V3.2 format.
    /// </summary>
    public const string ParseProblemProperty = "seeksharp.parse_problem";

    private readonly DeepSeekTokenizer _tokenizer;
    private readonly StreamingDetokenizer _detokenizer;
    private readonly StopSequenceFilter _stops;
    private readonly StreamingDsmlParser _parser;
    private readonly bool _reportsReasoning;
    private readonly int _thinkEndId;
    private readonly string _responseId;
    private readonly string _modelId;
    private readonly DateTimeOffset _createdAt = DateTimeOffset.UtcNow;
    private readonly System.Text.StringBuilder _completion = new();
    private bool _fedEndOfSentence;
    private bool _reasoningOpen;
    private int _tokens;
    private int _reasoningTokens;
    private int _toolCalls;

    public CompletionUpdateMapper(DeepSeekTokenizer tokenizer, ThinkingMode mode, IReadOnlyList<string> stopSequences, bool reportsReasoning,
        string modelId, string? responseId = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _detokenizer = tokenizer.CreateStreamingDetokenizer();
        _stops = new StopSequenceFilter(stopSequences);
        _parser = new StreamingDsmlParser(mode);
        _reportsReasoning = reportsReasoning;
        _reasoningOpen = mode == ThinkingMode.Thinking;
        _thinkEndId = tokenizer.TokenToId(DsmlTokens.ThinkEnd) ?? -1;
        _modelId = modelId;
        _responseId = responseId ?? "chatcmpl-" + Guid.NewGuid().ToString("N");
    }

    public string ResponseId => _responseId;

    /// <summary>A stop sequence ended the reply: the caller should stop generating.</summary>
    public bool StopRequested => _stops.Stopped;

    /// <summary>The generated text as decoded, cut at a stop sequence (what the parser saw).</summary>
    public string CompletionText => _completion.ToString();

    /// <summary>The parser's complaint about the completion's format, if any (an untrained model nearly always has one).</summary>
    public string? ParseProblem => _parser.Problem;

    /// <summary>Feeds one sampled token; returns the update it completes, if any.</summary>
    public ChatResponseUpdate? PushToken(int tokenId)
    {
        if (_stops.Stopped) return null;
        _tokens++;
        if (_reasoningOpen)
        {
            if (tokenId == _thinkEndId) _reasoningOpen = false;
            else _reasoningTokens++;
        }
        // an id past the tokenizer (the padded rows of a real checkpoint's embedding) has no text
        if (!_tokenizer.IsKnownId(tokenId)) return null;
        return ToUpdate(Feed(_stops.Push(_detokenizer.Push(tokenId))));
    }

    /// <summary>
    /// Ends the completion: flushes held text and reports the finish reason (tool calls when any call was parsed)
    /// and usage. A natural end (EOS, or a stop sequence) completes the format with EOS when the engine did not
    /// report the EOS token itself.
    /// </summary>
    public ChatResponseUpdate Complete(EngineFinish finish)
    {
        ArgumentNullException.ThrowIfNull(finish);
        var contents = new List<AIContent>();
        if (!_stops.Stopped) contents.AddRange(Feed(_stops.Push(_detokenizer.Flush())));
        contents.AddRange(Feed(_stops.Flush()));
        var natural = _stops.Stopped || finish.Reason == EngineFinishReason.Stop;
        if (natural && !_fedEndOfSentence) contents.AddRange(FeedParser(DsmlTokens.Eos));
        contents.AddRange(Map(_parser.Complete()));

        var update = NewUpdate(contents);
        update.FinishReason = _toolCalls > 0 ? ChatFinishReason.ToolCalls
            : natural ? ChatFinishReason.Stop
            : finish.Reason == EngineFinishReason.Length ? ChatFinishReason.Length
            : ChatFinishReason.Stop;
        update.Contents.Add(new UsageContent(new UsageDetails
        {
            InputTokenCount = finish.PromptTokens,
            CachedInputTokenCount = finish.CachedPromptTokens,
            OutputTokenCount = finish.CompletionTokens,
            TotalTokenCount = finish.PromptTokens + finish.CompletionTokens,
            ReasoningTokenCount = _reasoningTokens,
        }));
        if (_parser.Problem is { } problem) update.AdditionalProperties = new() { [ParseProblemProperty] = problem };
        return update;
    }

    /// <summary>Tokens pushed so far (until a stop sequence).</summary>
    public int TokenCount => _tokens;

    private List<AIContent> Feed(string text)
    {
        if (text.Length == 0) return [];
        _completion.Append(text);
        return FeedParser(text);
    }

    private List<AIContent> FeedParser(string text)
    {
        if (text.Contains(DsmlTokens.Eos, StringComparison.Ordinal)) _fedEndOfSentence = true;
        return Map(_parser.Push(text));
    }

    private List<AIContent> Map(IReadOnlyList<ParserEvent> events)
    {
        var contents = new List<AIContent>();
        foreach (var e in events)
        {
            switch (e)
            {
                case ReasoningDelta reasoning when _reportsReasoning:
                    contents.Add(new TextReasoningContent(reasoning.Text));
                    break;
                case ContentDelta content:
                    contents.Add(new TextContent(content.Text));
                    break;
                case ToolCallParsed call:
                    _toolCalls++;
                    contents.Add(ToFunctionCall(call));
                    break;
            }
        }
        return contents;
    }

    /// <summary>Arguments as M.E.AI's dictionary; the model's exact JSON text rides along for a byte-exact round trip.</summary>
    private static FunctionCallContent ToFunctionCall(ToolCallParsed call) =>
        new("call_" + Guid.NewGuid().ToString("N")[..24], call.Name, FunctionArgumentsJson.TryParse(call.ArgumentsJson))
        {
            AdditionalProperties = new() { [MeaiMapping.ArgumentsJsonProperty] = call.ArgumentsJson },
        };

    private ChatResponseUpdate? ToUpdate(List<AIContent> contents) => contents.Count == 0 ? null : NewUpdate(contents);

    private ChatResponseUpdate NewUpdate(List<AIContent> contents) => new(Microsoft.Extensions.AI.ChatRole.Assistant, contents)
    {
        ResponseId = _responseId,
        MessageId = _responseId,
        ModelId = _modelId,
        CreatedAt = _createdAt,
    };
}
