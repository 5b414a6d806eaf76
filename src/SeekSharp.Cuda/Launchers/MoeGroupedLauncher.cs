using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>moe_grouped.cu: the device-side expert plan, SwiGLU fused with act-quant, and the weighted combine.</summary>
public sealed class MoeGroupedLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "moe_grouped.cu")
{
    private const int PlanThreads = 1024, PlanWarps = PlanThreads / 32;   // PLAN_THREADS, PLAN_WARPS
    private const int CombineThreads = 256;
    private int _planSharedLimit;

    /// <summary>Most tiles the plan can write for <paramref name="pairs"/> rows: one partial tile per used expert at most.</summary>
    public static int MaxTiles(int pairs, int experts, int tileRows) => pairs / tileRows + Math.Min(experts, pairs);

    /// <summary>
    /// Groups the pairs of ids I32 [pairs] (pair = token · perToken + pick) by expert: rowTokens and pairRows I32 [pairs],
    /// tiles I32 [MaxTiles, 4], tileCount I32 [1] (see moe_plan).
    /// </summary>
    public void Plan(DeviceBuffer ids, int pairs, int perToken, int experts, int tileRows, CudaBuffer rowTokens, CudaBuffer pairRows,
        CudaBuffer tiles, CudaBuffer tileCount)
    {
        const string op = "moe_plan";
        LaunchChecks.Positive(perToken, op, nameof(perToken));
        LaunchChecks.That(experts is > 0 and <= 1024, op, $"{experts} experts: the plan handles 1..1024");
        var idBuffer = LaunchChecks.Buffer(ids, DType.I32, pairs, op, nameof(ids));
        LaunchChecks.Buffer(rowTokens, DType.I32, pairs, op, nameof(rowTokens));
        LaunchChecks.Buffer(pairRows, DType.I32, pairs, op, nameof(pairRows));
        LaunchChecks.Buffer(tiles, DType.I32, 4L * MaxTiles(pairs, experts, tileRows), op, nameof(tiles));
        LaunchChecks.Buffer(tileCount, DType.I32, 1, op, nameof(tileCount));
        var shared = ((PlanWarps + 3) * experts + 1) * sizeof(int);
        if (shared > 48 * 1024 && shared > _planSharedLimit)
        {
            LaunchChecks.That(shared <= Kernels.Context.MaxSharedMemoryPerBlockOptIn, op, $"{experts} experts need more shared memory than one block has");
            Function("moe_plan").SetMaxDynamicSharedBytes(shared);
            _planSharedLimit = shared;
        }
        Launch("moe_plan", new Dim3(1), new Dim3(PlanThreads),
            new KernelArgs().Ptr(idBuffer.Pointer).Int(pairs).Int(perToken).Int(experts).Int(tileRows).Ptr(rowTokens.Pointer)
                .Ptr(pairRows.Pointer).Ptr(tiles.Pointer).Ptr(tileCount.Pointer), shared);
    }

    /// <summary>
    /// gateUp BF16 [rows, 2·inner] (gate, then up) → h = bf16(silu(g)·u) act-quantised per 128 columns: codes U8
    /// [rows, inner], scales F32 [rows, ceil(inner/128)].
    /// </summary>
    public void SiluQuant(CudaBuffer gateUp, int rows, int inner, CudaBuffer codes, CudaBuffer scales, bool powerOfTwo)
    {
        const string op = "moe_silu_quant";
        var blocks = ActQuant.BlockCount(inner);
        LaunchChecks.Buffer(gateUp, DType.BF16, 2L * rows * inner, op, nameof(gateUp));
        LaunchChecks.Buffer(codes, DType.U8, (long)rows * inner, op, nameof(codes));
        LaunchChecks.Buffer(scales, DType.F32, (long)rows * blocks, op, nameof(scales));
        if (rows == 0) return;
        Launch("moe_silu_quant", new Dim3((uint)rows, Dim3.Blocks(blocks, 4)), new Dim3(128),
            new KernelArgs().Ptr(gateUp.Pointer).Int(inner).Ptr(codes.Pointer).Ptr(scales.Pointer).Int(powerOfTwo ? 1 : 0));
    }

    /// <summary>sum[t, :] = Σ_j y[pairRows[t, j], :] · weights[t, j] (j ascending, fp32 from 0); y BF16 [pairs, width].</summary>
    public void Combine(CudaBuffer y, CudaBuffer pairRows, DeviceBuffer weights, int tokens, int perToken, int width, DeviceBuffer sum)
    {
        const string op = "moe_combine";
        var pairs = (long)tokens * perToken;
        LaunchChecks.Buffer(y, DType.BF16, pairs * width, op, nameof(y));
        LaunchChecks.Buffer(pairRows, DType.I32, pairs, op, nameof(pairRows));
        var w = LaunchChecks.Buffer(weights, DType.F32, pairs, op, nameof(weights));
        var s = LaunchChecks.Buffer(sum, DType.F32, (long)tokens * width, op, nameof(sum));
        if (tokens == 0) return;
        Launch("moe_combine", new Dim3((uint)tokens, Dim3.Blocks(width, CombineThreads)), new Dim3(CombineThreads),
            new KernelArgs().Ptr(y.Pointer).Ptr(pairRows.Pointer).Ptr(w.Pointer).Int(perToken).Int(width).Ptr(s.Pointer));
    }
}
