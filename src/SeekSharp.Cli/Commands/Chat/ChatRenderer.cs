using Microsoft.Extensions.AI;
using SeekSharp.Agents.Loop;
using Spectre.Console;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>
/// Writes a chat to the terminal as it streams: reasoning dimmed, the answer in plain text, tool calls and results
/// on their own lines. Without a terminal (output piped) Spectre writes plain text, and reasoning is framed by
/// "[thinking]" / "[/thinking]" so a transcript still shows which part was reasoning.
/// </summary>
internal sealed class ChatRenderer(IAnsiConsole console)
{
    private static readonly Style s_reasoning = new(decoration: Decoration.Dim);
    private static readonly Style s_tool = new(Color.Teal);
    private static readonly Style s_note = new(Color.Grey);

    private readonly bool _plain = !console.Profile.Capabilities.Ansi;
    private bool _inReasoning;
    private bool _atLineStart = true;

    public void Note(string text) => Line(text, s_note);

    public void Render(AgentEvent e)
    {
        switch (e)
        {
            case ModelUpdate { Update: var update }:
                foreach (var content in update.Contents)
                {
                    if (content is TextReasoningContent reasoning) Reasoning(reasoning.Text);
                    else if (content is TextContent text) Answer(text.Text);
                }
                break;
            case ToolCallStarted started:
                EndReasoning();
                Line($"→ {started.Call.Name}({FormatArguments(started.Call)})", s_tool);
                break;
            case ToolCallFinished finished:
                Line($"← {finished.Call.Name}: {Shorten(finished.Result.Result?.ToString() ?? "(no result)")}", s_tool);
                break;
            case AgentFinished finished:
                EndReasoning();
                if (!_atLineStart) Write("\n", Style.Plain);
                if (finished.Reason == AgentStopReason.MaxTurnsReached)
                    Line($"(stopped after {finished.ModelCalls} model calls: the turn limit)", s_note);
                var properties = finished.FinalResponse.Messages.LastOrDefault()?.AdditionalProperties;
                if (properties?.TryGetValue(Agents.Chat.CompletionUpdateMapper.ParseProblemProperty, out var problem) == true)
                    Line($"(the reply is not in DeepSeek-V3.2's format: {problem})", s_note);
                break;
        }
    }

    private void Reasoning(string text)
    {
        if (text.Length == 0) return;
        if (!_inReasoning && _plain) Write("[thinking] ", Style.Plain);
        _inReasoning = true;
        Write(text, s_reasoning);
    }

    private void Answer(string text)
    {
        if (text.Length == 0) return;
        EndReasoning();
        Write(text, Style.Plain);
    }

    private void EndReasoning()
    {
        if (!_inReasoning) return;
        _inReasoning = false;
        Write(_plain ? " [/thinking]\n" : "\n", Style.Plain);
    }

    private void Line(string text, Style style)
    {
        if (!_atLineStart) Write("\n", Style.Plain);
        Write(text + "\n", style);
    }

    private void Write(string text, Style style)
    {
        console.Write(new Text(text, style));
        _atLineStart = text.EndsWith('\n');
    }

    private static string FormatArguments(FunctionCallContent call) =>
        call.AdditionalProperties?.TryGetValue(IO.Chat.Mapping.MeaiMapping.ArgumentsJsonProperty, out var json) == true && json is string text
            ? Shorten(text)
            : string.Join(", ", (call.Arguments ?? new Dictionary<string, object?>()).Select(a => $"{a.Key}: {a.Value}"));

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
