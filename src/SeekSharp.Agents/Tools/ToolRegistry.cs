using Microsoft.Extensions.AI;

namespace SeekSharp.Agents.Tools;

/// <summary>
/// The functions an agent may call, by name: plain <see cref="AIFunction"/>s (e.g. from <c>AIFunctionFactory</c>)
/// and the tools of MCP servers (<see cref="Mcp.McpToolSource"/>; an MCP client tool is an AIFunction). A later
/// function with the same name replaces the earlier one. Thread-safe for reads once built.
/// </summary>
public sealed class ToolRegistry
{
    private readonly Dictionary<string, AIFunction> _byName = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public int Count => _byName.Count;

    /// <summary>The functions in the order they were first added.</summary>
    public IReadOnlyList<AIFunction> Functions => [.. _order.Select(name => _byName[name])];

    public ToolRegistry Add(AIFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (!_byName.ContainsKey(function.Name)) _order.Add(function.Name);
        _byName[function.Name] = function;
        return this;
    }

    public ToolRegistry AddRange(IEnumerable<AIFunction> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        foreach (var function in functions) Add(function);
        return this;
    }

    public bool TryGet(string name, out AIFunction function) => _byName.TryGetValue(name, out function!);

    /// <summary>The declarations for <see cref="ChatOptions.Tools"/>.</summary>
    public IList<AITool> ToChatTools() => [.. Functions];

    /// <summary>
    /// Runs one call. A failing function or an unknown name becomes an error text the model reads as the result
    /// (so the loop goes on and the model can correct itself); cancellation propagates.
    /// </summary>
    public async Task<FunctionResultContent> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!TryGet(call.Name, out var function))
            return new FunctionResultContent(call.CallId, $"error: there is no tool named '{call.Name}' (available: {string.Join(", ", _order)})");
        try
        {
            var result = await function.InvokeAsync(new AIFunctionArguments(call.Arguments), cancellationToken).ConfigureAwait(false);
            return new FunctionResultContent(call.CallId, result);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new FunctionResultContent(call.CallId, $"error: {call.Name} failed: {e.Message}") { Exception = e };
        }
    }
}
