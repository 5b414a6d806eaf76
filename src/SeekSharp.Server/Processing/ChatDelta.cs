using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Processing;

/// <summary>A piece of the assistant's reply as the client sees it.</summary>
public abstract record ChatDelta;

public sealed record ReasoningChunk(string Text) : ChatDelta;

public sealed record ContentChunk(string Text) : ChatDelta;

/// <summary>A complete tool call; <paramref name="Index"/> is its position among this reply's calls.</summary>
public sealed record ToolCallChunk(int Index, ToolCall Call) : ChatDelta;
