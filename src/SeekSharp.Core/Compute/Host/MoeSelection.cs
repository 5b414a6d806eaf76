using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Compute.Host;

/// <summary>DeepSeek's group-limited top-k expert selection on bias-corrected scores.</summary>
public static class MoeSelection
{
    /// <summary>
    /// Group score = sum of the group's top-2 biased scores; keep the best TopkGroups groups; pick PerToken experts
    /// among them (ties to the lower index). <paramref name="biased"/> is overwritten (-inf outside kept groups).
    /// </summary>
    public static void Select(Span<float> biased, MoeRouting routing, Span<int> picked)
    {
        var groups = routing.Groups;
        var perGroup = routing.Experts / groups;
        if (groups > 1)
        {
            Span<float> groupScore = stackalloc float[groups];
            Span<int> top2 = stackalloc int[2];
            for (var g = 0; g < groups; g++)
            {
                var group = biased.Slice(g * perGroup, perGroup);
                var n = TopK.Select(group, Math.Min(2, perGroup), top2);
                var s = 0f;
                for (var j = 0; j < n; j++) s += group[top2[j]];
                groupScore[g] = s;
            }
            Span<int> keptGroups = stackalloc int[routing.TopkGroups];
            TopK.Select(groupScore, routing.TopkGroups, keptGroups);
            Span<bool> keep = stackalloc bool[groups];
            foreach (var g in keptGroups) keep[g] = true;
            for (var g = 0; g < groups; g++)
                if (!keep[g]) biased.Slice(g * perGroup, perGroup).Fill(float.NegativeInfinity);
        }
        TopK.Select(biased, routing.PerToken, picked);
    }
}
