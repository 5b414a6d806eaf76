using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>moe_route.cu: the router, one warp per token.</summary>
public sealed class MoeRouteLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "moe_route.cu")
{
    private const int RouteWarps = 4;   // ROUTE_WARPS in moe_route.cu: tokens per block

    public void Route(DeviceBuffer logits, DeviceBuffer bias, int tokens, MoeRouting routing, DeviceBuffer? forced,
        DeviceBuffer ids, DeviceBuffer weights)
    {
        const string op = "moe_route";
        LaunchChecks.NonNegative(tokens, op, nameof(tokens));
        LaunchChecks.Positive(routing.Experts, op, "routing.Experts");
        LaunchChecks.Positive(routing.Groups, op, "routing.Groups");
        LaunchChecks.Positive(routing.PerToken, op, "routing.PerToken");
        LaunchChecks.That(routing.Experts % routing.Groups == 0, op, $"{routing.Experts} experts do not split into {routing.Groups} groups");
        LaunchChecks.That(routing.TopkGroups >= 1 && routing.TopkGroups <= routing.Groups, op,
            $"routing.TopkGroups {routing.TopkGroups} must be in 1..{routing.Groups}");
        LaunchChecks.That(routing.PerToken <= routing.TopkGroups * (routing.Experts / routing.Groups), op,
            $"{routing.PerToken} experts per token exceed the {routing.TopkGroups * (routing.Experts / routing.Groups)} in the kept groups");
        var picks = (long)tokens * routing.PerToken;
        var l = LaunchChecks.Buffer(logits, DType.F32, (long)tokens * routing.Experts, op, nameof(logits));
        var b = LaunchChecks.Buffer(bias, DType.F32, routing.Experts, op, nameof(bias));
        var f = forced is null ? null : LaunchChecks.Buffer(forced, DType.I32, picks, op, nameof(forced));
        var i = LaunchChecks.Buffer(ids, DType.I32, picks, op, nameof(ids));
        var w = LaunchChecks.Buffer(weights, DType.F32, picks, op, nameof(weights));
        if (tokens == 0) return;
        // per warp: sigmoid + biased [experts] floats, group scores [groups] floats, active flags [experts + groups]
        // bytes, rounded up to 16 bytes (the kernel's per_warp)
        var perWarp = (routing.Experts * 9 + routing.Groups * 5 + 15) / 16 * 16;
        var shared = RouteWarps * perWarp;
        LaunchChecks.That(shared <= 48 * 1024, op, $"{routing.Experts} experts need more shared memory than one block has");
        Launch("moe_route", new Dim3((uint)((tokens + RouteWarps - 1) / RouteWarps)), new Dim3(32 * RouteWarps),
            new KernelArgs().Ptr(l.Pointer).Ptr(b.Pointer).Int(tokens).Int(routing.Experts).Int(routing.Groups).Int(routing.TopkGroups)
                .Int(routing.PerToken).Int(routing.Normalize ? 1 : 0).Float(routing.Scale).Ptr(f?.Pointer ?? 0).Int(f is null ? 0 : 1)
                .Ptr(i.Pointer).Ptr(w.Pointer), shared);
    }
}
