using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.OpTests;

// MoE routing and the gather/scatter around each expert.
public abstract partial class DeviceOpTests
{
    public static TheoryData<int, int, int, int> RoutingCases => new()
    {
        // experts, groups, topk groups, per token
        { 16, 4, 2, 4 },
        { 256, 8, 4, 8 },           // DeepSeek-V3.2
        { 64, 1, 1, 6 },            // no group limit
    };

    [Theory]
    [MemberData(nameof(RoutingCases))]
    public void MoeRouteMatchesReference(int experts, int groups, int topkGroups, int perToken)
    {
        var data = new OpData(30);
        const int tokens = 11;
        var routing = new MoeRouting(experts, groups, topkGroups, perToken, Normalize: true, Scale: 2.5f);
        var logits = Floats(data.Activations((long)tokens * experts, 2));
        var bias = Floats(data.Uniform(experts, -0.1f, 0.1f));
        // rows 2 and 7 forced (any distinct ids, unsorted), the others chosen by the router
        var forcedRows = new int[tokens * perToken];
        forcedRows.AsSpan().Fill(-1);
        foreach (var row in new[] { 2, 7 })
            for (var j = 0; j < perToken; j++) forcedRows[row * perToken + j] = (experts - 1 - 3 * j) % experts;
        var forced = Ints(forcedRows);
        var ids = Zeros(DType.I32, tokens * perToken);
        var weights = Zeros(DType.F32, tokens * perToken);
        Device.MoeRoute(logits.Dev, bias.Dev, tokens, routing, forced.Dev, ids.Dev, weights.Dev);
        Reference.MoeRoute(logits.Ref, bias.Ref, tokens, routing, forced.Ref, ids.Ref, weights.Ref);
        AssertEqual<int>(ids, "expert ids");
        AssertClose(weights, 1e-6, "expert weights");

        Device.MoeRoute(logits.Dev, bias.Dev, tokens, routing, null, ids.Dev, weights.Dev);
        Reference.MoeRoute(logits.Ref, bias.Ref, tokens, routing, null, ids.Ref, weights.Ref);
        AssertEqual<int>(ids, "expert ids (unforced)");
    }

    [Fact]
    public void GatherAndScatterAddScaledFollowTheRowLists()
    {
        var data = new OpData(31);
        const int tokens = 9, width = 300, count = 12;
        var x = Floats(data.Activations(tokens * width));
        var rowList = Ints([9, 9, 9, 0, 3, 8, 3, 1, 0, 5, 5, 2, 7, 4, 6]);   // offset 3, repeats allowed
        var scales = Floats(data.Uniform(15, 0.1f, 2f));
        var gathered = Zeros(DType.F32, count * width);
        Device.GatherRows(x.Dev, rowList.Dev, 3, count, width, gathered.Dev);
        Reference.GatherRows(x.Ref, rowList.Ref, 3, count, width, gathered.Ref);
        AssertEqual<float>(gathered, "gather");

        var sum = Floats(data.Activations(tokens * width));
        Device.ScatterAddScaled(gathered.Dev, rowList.Dev, scales.Dev, 3, count, width, sum.Dev);
        Reference.ScatterAddScaled(gathered.Ref, rowList.Ref, scales.Ref, 3, count, width, sum.Ref);
        AssertClose(sum, 1e-6, "scatter_add");
    }

    public static TheoryData<int, int, int, int, int, bool> GroupedExpertCases => new()
    {
        // experts, per token, tokens, hidden, inner, one hot expert (picked by every token)
        { 8, 3, 5, 256, 128, false },           // decode-sized: 16-row tiles, most experts with one or two rows
        { 16, 4, 40, 320, 192, true },          // partial K blocks; the hot expert spans three 16-row tiles
        { 4, 2, 300, 256, 256, false },         // prefill-sized, ~150 rows per expert: 128-row tiles on Hopper, else 64
        { 16, 2, 300, 256, 256, true },         // prefill-sized, ~38 rows per expert: 64-row tiles, a hot expert
        { 8, 2, 300, 320, 192, false },         // prefill-sized with partial K blocks: 64-row tiles (~75 rows per expert)
        { 4, 2, 300, 320, 192, false },         // the same with 128-row tiles on Hopper (~150 rows per expert)
        { 32, 8, 1, 512, 256, false },          // one token (batch-1 decode)
    };

    [Theory]
    [MemberData(nameof(GroupedExpertCases))]
    public void MoeExpertsMatchTheExpertLoop(int experts, int perToken, int tokens, int hidden, int inner, bool hotExpert)
    {
        var data = new OpData(32);
        var gate = new DeviceLinear[experts];
        var up = new DeviceLinear[experts];
        var down = new DeviceLinear[experts];
        var refGate = new DeviceLinear[experts];
        var refUp = new DeviceLinear[experts];
        var refDown = new DeviceLinear[experts];
        for (var e = 0; e < experts; e++)
        {
            (gate[e], refGate[e]) = Weights(data.Weight(DType.F8E4M3, inner, hidden, $"experts.{e}.w1"));
            (up[e], refUp[e]) = Weights(data.Weight(DType.F8E4M3, inner, hidden, $"experts.{e}.w3"));
            (down[e], refDown[e]) = Weights(data.Weight(DType.F8E4M3, hidden, inner, $"experts.{e}.w2"));
        }
        if (Device.GroupExperts(gate, up, down) is not { } grouped)
        {
            Assert.Skip($"{Device.Name} runs routed experts one at a time through Linear (GroupExperts returned null)");
            return;
        }
        Own(grouped);

        // distinct ids per token, ascending (as MoeRoute writes them); weights as the router's: positive, a few units
        var idValues = new int[tokens * perToken];
        for (var t = 0; t < tokens; t++)
        {
            var picks = new SortedSet<int>();
            if (hotExpert) picks.Add(experts / 2);
            while (picks.Count < perToken) picks.Add(data.Next(experts));
            picks.CopyTo(idValues, t * perToken);
        }
        var ids = Ints(idValues);
        var weights = Floats(data.Uniform(tokens * perToken, 0.05f, 2.5f));
        var x = Floats(data.Activations((long)tokens * hidden));
        foreach (var pow2 in new[] { true, false })
        {
            var sum = Zeros(DType.F32, (long)tokens * hidden);
            Device.MoeExperts(x.Dev, tokens, ids.Dev, weights.Dev, perToken, grouped, pow2, sum.Dev);
            ExpertLoop(Reference, x.Ref, tokens, idValues, weights.Ref, perToken, refGate, refUp, refDown, pow2, sum.Ref);
            AssertClose(sum, Bf16Tolerance, $"moe_experts pow2={pow2}");
        }
    }

    /// <summary>The model's per-expert loop (MoeLayer without a grouped path) on <paramref name="device"/>.</summary>
    private static void ExpertLoop(IComputeDevice device, DeviceBuffer x, int tokens, int[] ids, DeviceBuffer weights, int perToken,
        DeviceLinear[] gate, DeviceLinear[] up, DeviceLinear[] down, bool pow2, DeviceBuffer sum)
    {
        int hidden = gate[0].In, inner = gate[0].Out;
        var hostWeights = Read<float>(device, weights);
        for (var e = 0; e < gate.Length; e++)
        {
            var rows = new List<int>();
            var scales = new List<float>();
            for (var p = 0; p < ids.Length; p++)
                if (ids[p] == e) { rows.Add(p / perToken); scales.Add(hostWeights[p]); }
            if (rows.Count == 0) continue;
            var n = rows.Count;
            using var rowList = device.Allocate(DType.I32, n);
            using var scaleList = device.Allocate(DType.F32, n);
            using var xs = device.Allocate(DType.F32, (long)n * hidden);
            using var g = device.Allocate(DType.F32, (long)n * inner);
            using var u = device.Allocate(DType.F32, (long)n * inner);
            using var y = device.Allocate(DType.F32, (long)n * hidden);
            device.Upload<int>(rows.ToArray(), rowList);
            device.Upload<float>(scales.ToArray(), scaleList);
            device.GatherRows(x, rowList, 0, n, hidden, xs);
            device.Linear(gate[e], MatrixView.Dense(xs, n, hidden), MatrixView.Dense(g, n, inner), true, pow2);
            device.Linear(up[e], MatrixView.Dense(xs, n, hidden), MatrixView.Dense(u, n, inner), true, pow2);
            device.SiluMul(g, u, n * inner);
            device.Linear(down[e], MatrixView.Dense(g, n, inner), MatrixView.Dense(y, n, hidden), true, pow2);
            device.ScatterAddScaled(y, rowList, scaleList, 0, n, hidden, sum);
        }
    }
}
