using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda;

// Grouped MoE experts: the routing stays on the GPU (plan, grouped FP8 GEMMs, SwiGLU + act-quant, combine), so a MoE
// layer needs no host round trip and a decode step can be captured whole.
public sealed partial class CudaDevice
{
    /// <summary>SEEKSHARP_MOE=loop keeps the per-expert loop (for A/B timing).</summary>
    private static readonly bool s_expertLoop = Environment.GetEnvironmentVariable("SEEKSHARP_MOE") == "loop";

    /// <summary>
    /// A table of the experts' weight addresses, or null (the model loops over experts) when the grouped kernels cannot
    /// take them: not all FP8 with block scales, shapes that differ between experts, widths not a multiple of 16.
    /// </summary>
    public GroupedExperts? GroupExperts(IReadOnlyList<DeviceLinear> gate, IReadOnlyList<DeviceLinear> up, IReadOnlyList<DeviceLinear> down)
    {
        if (s_expertLoop || gate.Count == 0 || gate.Count != up.Count || gate.Count != down.Count) return null;
        int inner = gate[0].Out, hidden = gate[0].In;
        if (inner % 16 != 0 || hidden % 16 != 0) return null;
        var table = new long[gate.Count * CudaGroupedExperts.TableStride];
        for (var e = 0; e < gate.Count; e++)
        {
            ReadOnlySpan<DeviceLinear> matrices = [gate[e], up[e], down[e]];
            for (var m = 0; m < matrices.Length; m++)
            {
                if (matrices[m] is not CudaLinear { DType: DType.F8E4M3, Scales: { } scales } w) return null;
                var (rows, cols) = m == 2 ? (hidden, inner) : (inner, hidden);
                if (w.Out != rows || w.In != cols || w.Data.Pointer % 16 != 0) return null;
                table[e * CudaGroupedExperts.TableStride + 2 * m] = w.Data.Pointer;
                table[e * CudaGroupedExperts.TableStride + 2 * m + 1] = scales.Pointer;
            }
        }
        var buffer = Scratch(DType.I64, table.Length);
        try
        {
            Upload<long>(table, buffer);
            return new CudaGroupedExperts(gate.Count, hidden, inner, buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public void MoeExperts(DeviceBuffer x, int tokens, DeviceBuffer ids, DeviceBuffer weights, int perToken, GroupedExperts experts,
        bool powerOfTwoScales, DeviceBuffer sum)
    {
        const string op = "moe_experts";
        var grouped = experts as CudaGroupedExperts ?? throw new ArgumentException($"{op}: {experts} was not grouped by the CUDA device", nameof(experts));
        ObjectDisposedException.ThrowIf(grouped.Table.IsDisposed, grouped.Table);
        LaunchChecks.NonNegative(tokens, op, nameof(tokens));
        LaunchChecks.Positive(perToken, op, nameof(perToken));
        int hidden = grouped.Hidden, inner = grouped.Inner, pairs = checked(tokens * perToken);
        LaunchChecks.Buffer(x, DType.F32, (long)tokens * hidden, op, nameof(x));
        LaunchChecks.Buffer(sum, DType.F32, (long)tokens * hidden, op, nameof(sum));
        if (tokens == 0) return;

        // 16-row tiles keep decode from padding; 64 or 128 rows once experts average more than 16 (prefill).
        var tileRows = _fp8.GroupedTileRows(pairs, grouped.Count);
        var maxTiles = MoeGroupedLauncher.MaxTiles(pairs, grouped.Count, tileRows);
        using var xCodes = Scratch(DType.U8, (long)tokens * hidden);                                // [tokens, hidden]
        using var xScales = Scratch(DType.F32, (long)tokens * Core.Numerics.ActQuant.BlockCount(hidden));         // [tokens, hidden/128]
        using var rowTokens = Scratch(DType.I32, pairs);                                           // [pairs] token of each grouped row
        using var pairRows = Scratch(DType.I32, pairs);                                            // [tokens, perToken] grouped row of each pick
        using var tiles = Scratch(DType.I32, 4L * maxTiles);                                       // [maxTiles] (expert, row, end, -)
        using var tileCount = Scratch(DType.I32, 1);
        using var gateUp = Scratch(DType.BF16, (long)pairs * 2 * inner);                           // [pairs, gate | up]
        using var hCodes = Scratch(DType.U8, (long)pairs * inner);                                 // [pairs, inner]
        using var hScales = Scratch(DType.F32, (long)pairs * Core.Numerics.ActQuant.BlockCount(inner));          // [pairs, inner/128]
        using var down = Scratch(DType.BF16, (long)pairs * hidden);                                // [pairs, hidden]

        _quant.ActQuant(MatrixView.Dense(x, tokens, hidden), xCodes, 0, xScales, 0, powerOfTwoScales);
        _moeGrouped.Plan(ids, pairs, perToken, grouped.Count, tileRows, rowTokens, pairRows, tiles, tileCount);
        _fp8.MultiplyGrouped(tileRows, xCodes, tokens, xScales, rowTokens, tiles, tileCount, maxTiles, grouped,
            ExpertMatrix.Gate, ExpertMatrix.Up, inner, 2 * inner, hidden, gateUp);
        _moeGrouped.SiluQuant(gateUp, pairs, inner, hCodes, hScales, powerOfTwoScales);
        _fp8.MultiplyGrouped(tileRows, hCodes, pairs, hScales, null, tiles, tileCount, maxTiles, grouped,
            ExpertMatrix.Down, ExpertMatrix.Down, hidden, hidden, inner, down);
        _moeGrouped.Combine(down, pairRows, weights, tokens, perToken, hidden, sum);
    }
}
