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
}
