using System.Text;

namespace SeekSharp.IO.Chat.Parsing;

/// <summary>What the model said: content, reasoning ("" in chat mode) and tool calls (no ids: the server assigns them).</summary>
public sealed record ParsedAssistantMessage(string Content, string Reasoning, IReadOnlyList<ToolCall> ToolCalls)
{
    public bool Equals(ParsedAssistantMessage? other) =>
        other is not null && Content == other.Content && Reasoning == other.Reasoning && ToolCalls.SequenceEqual(other.ToolCalls);

    public override int GetHashCode() => HashCode.Combine(Content, Reasoning, ToolCalls.Count);

    /// <summary>The assistant message for the conversation history.</summary>
    public Message ToMessage() => Message.Assistant(Content, Reasoning, ToolCalls);

    /// <summary>
    /// The reference's result dict as Python's json.dumps writes it:
    /// <c>{"role": "assistant", "content", "reasoning_content", "tool_calls": [{"type": "function", "function": {"name", "arguments"}}]}</c>.
    /// </summary>
    public string ToReferenceJson()
    {
        var json = new StringBuilder("{\"role\": \"assistant\", \"content\": ");
        PythonJson.WriteString(json, Content);
        json.Append(", \"reasoning_content\": ");
        PythonJson.WriteString(json, Reasoning);
        json.Append(", \"tool_calls\": [");
        for (var i = 0; i < ToolCalls.Count; i++)
        {
            if (i > 0) json.Append(", ");
            json.Append("{\"type\": \"function\", \"function\": {\"name\": ");
            PythonJson.WriteString(json, ToolCalls[i].Name);
            json.Append(", \"arguments\": ");
            PythonJson.WriteString(json, ToolCalls[i].ArgumentsJson);
            json.Append("}}");
        }
        return json.Append("]}").ToString();
    }
}
