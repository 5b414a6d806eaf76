using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>
/// Per position, the smallest routing margin over all MoE layers: how far the router was from choosing
/// differently (the gap at the kept-group boundary and at the top-k expert boundary). A tiny margin means
/// a coin toss that arithmetic differences of 1 ulp can flip (golden README §5).
/// </summary>
public sealed class RoutingMarginTrace(DeepSeekConfig config) : IForwardTrace
{
    private readonly Dictionary<int, float> _margin = new();

    public float MarginAt(int position) => _margin.TryGetValue(position, out var m) ? m : float.PositiveInfinity;

    public void RouterScores(int moeLayer, int position, ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> biased)
    {
        var perGroup = config.NRoutedExperts / config.NGroup;
        var groupScores = new float[config.NGroup];
        for (var g = 0; g < config.NGroup; g++)
            groupScores[g] = biased.Slice(g * perGroup, perGroup).ToArray().OrderDescending().Take(2).Sum();
        var groupOrder = Enumerable.Range(0, config.NGroup).OrderByDescending(g => groupScores[g]).ToArray();
        var margin = config.TopkGroup < config.NGroup
            ? groupScores[groupOrder[config.TopkGroup - 1]] - groupScores[groupOrder[config.TopkGroup]]
            : float.PositiveInfinity;

        var kept = groupOrder.Take(config.TopkGroup).SelectMany(g => Enumerable.Range(g * perGroup, perGroup)).ToArray();
        var local = biased.ToArray();
        var experts = kept.Select(e => local[e]).OrderDescending().ToArray();
        if (config.NumExpertsPerTok < experts.Length)
            margin = Math.Min(margin, experts[config.NumExpertsPerTok - 1] - experts[config.NumExpertsPerTok]);
        lock (_margin) _margin[position] = Math.Min(margin, MarginAt(position));
    }
}
