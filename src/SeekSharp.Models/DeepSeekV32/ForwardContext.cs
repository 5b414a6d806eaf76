using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Models.Decisions;
using SeekSharp.Models.DeepSeekV32.Ops;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// What one forward call shares across layers: <see cref="Tokens"/> activation rows made of one or more sequences'
/// <see cref="Segments"/>. Row-wise work (norms, linears, MoE) runs over all rows at once; attention and the indexer
/// run per segment against that sequence's cache.
/// </summary>
public sealed class ForwardContext : IDisposable
{
    private readonly List<DeviceBuffer> _temporaries = [];
    private List<AttentionGroup>? _groups;
    private DeviceBuffer? _rowPositions;

    public required IComputeDevice Device { get; init; }
    public required DeviceRopeTable Rope { get; init; }

    /// <summary>The sequences of this call, in row order, covering rows [0, Tokens).</summary>
    public required IReadOnlyList<ForwardSegment> Segments { get; init; }

    /// <summary>Total activation rows (all segments).</summary>
    public required int Tokens { get; init; }

    /// <summary>
    /// Run one-row linears as two identical rows, so every row takes the multi-row kernels whatever the batch holds:
    /// the CPU's one-row GEMV sums in a different order than its multi-row kernel, which is row-independent. With this
    /// on, a row's result does not depend on how many rows (or which) share the step.
    /// </summary>
    public bool RowInvariantLinears { get; init; }

    /// <summary>Decisions to use instead of the model's own (per position and layer), when present.</summary>
    public DecisionLog? Forced { get; init; }

    /// <summary>Where to record every decision made (or forced) in this call.</summary>
    public DecisionLog? Record { get; init; }

    /// <summary>Power-of-two (ue8m0) activation scales for FP8 linears, as the checkpoint's scale_fmt says.</summary>
    public bool PowerOfTwoScales { get; init; } = true;

    /// <summary>Optional per-layer observer (indexer scores, layer outputs) for tests and debugging.</summary>
    public IForwardTrace? Trace { get; init; }

    /// <summary>Absolute position of activation row <paramref name="row"/> (in its sequence).</summary>
    public int PositionOfRow(int row)
    {
        foreach (var segment in Segments)
            if (row < segment.RowOffset + segment.Tokens) return segment.StartPos + row - segment.RowOffset;
        throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is past the {Tokens} rows of this call");
    }

    /// <summary>
    /// Attention groups (and their device tables) the caller keeps across calls, used instead of building them from
    /// <see cref="Segments"/>: a replayed decode graph refills the same tables every step. Not disposed here.
    /// </summary>
    public IReadOnlyList<AttentionGroup>? KeptGroups { get; init; }

    /// <summary>The caller's I32 [Tokens] row positions, kept across calls as <see cref="KeptGroups"/> (not disposed here).</summary>
    public DeviceBuffer? KeptRowPositions { get; init; }

    /// <summary>The segments grouped for batched attention (built on first use, for every layer of the call).</summary>
    public IReadOnlyList<AttentionGroup> AttentionGroups => KeptGroups ?? (_groups ??= AttentionGroup.Build(Device, Segments));

    /// <summary>I32 [Tokens] on the device: the position of each activation row in its sequence.</summary>
    public DeviceBuffer RowPositions
    {
        get
        {
            if (KeptRowPositions is not null) return KeptRowPositions;
            if (_rowPositions is not null) return _rowPositions;
            var positions = new int[Tokens];
            foreach (var segment in Segments)
                for (var i = 0; i < segment.Tokens; i++) positions[segment.RowOffset + i] = segment.StartPos + i;
            // the call's lifetime, not a layer's: the first use is inside layer 0's scope
            _rowPositions = Device.Allocate(DType.I32, Tokens);
            Device.Upload<int>(positions, _rowPositions);
            return _rowPositions;
        }
    }

    /// <summary>Rows [rowOffset, rowOffset + rows) of <paramref name="buffer"/> ([Tokens, width]) at offset 0 (the buffer itself at offset 0).</summary>
    public DeviceBuffer RowRange(DeviceBuffer buffer, int rowOffset, int rows, int width)
    {
        if (rowOffset == 0) return buffer;
        var copy = Temp(buffer.DType, (long)rows * width);
        Device.Copy(buffer, (long)rowOffset * width, copy, 0, (long)rows * width);
        return copy;
    }

    /// <summary>A zeroed device buffer that lives until this forward call ends, or the <see cref="LayerScope"/> it was made in.</summary>
    public DeviceBuffer Temp(DType dtype, long length)
    {
        var buffer = Device.Allocate(dtype, length);
        _temporaries.Add(buffer);
        return buffer;
    }

    /// <summary>
    /// Temporaries made until the returned scope is disposed are freed then: one layer's working set at a time instead
    /// of every layer's until the call ends (on the GPU the allocator hands the same blocks to the next layer, and a
    /// recorded decode graph holds one layer's temporaries, not all of them).
    /// </summary>
    public IDisposable LayerScope() => new TemporaryScope(this, _temporaries.Count);

    private sealed class TemporaryScope(ForwardContext owner, int start) : IDisposable
    {
        public void Dispose()
        {
            var list = owner._temporaries;
            for (var i = list.Count - 1; i >= start; i--) list[i].Dispose();
            list.RemoveRange(start, list.Count - start);
        }
    }

    /// <summary>y[rows, Out] = bf16(x[rows, In] · Wᵀ), the reference's Linear for bf16 and FP8 weights; x and y dense.</summary>
    public void Linear(DeviceLinear w, DeviceBuffer x, int rows, DeviceBuffer y) =>
        RunLinear(w, MatrixView.Dense(x, rows, w.In), MatrixView.Dense(y, rows, w.Out), roundToBf16: true);

    /// <summary>y = x · Wᵀ in fp32 (router, indexer weights_proj, lm_head: fp32 in the reference).</summary>
    public void LinearFp32(DeviceLinear w, MatrixView x, MatrixView y) => RunLinear(w, x, y, roundToBf16: false);

    private void RunLinear(DeviceLinear w, MatrixView x, MatrixView y, bool roundToBf16)
    {
        if (!RowInvariantLinears || x.Rows != 1)
        {
            Device.Linear(w, x, y, roundToBf16, PowerOfTwoScales);
            return;
        }
        var pair = Temp(DType.F32, 2L * w.In);                         // [2, In]: the row twice
        Device.CopyRows(x, MatrixView.Dense(pair, 1, w.In));
        Device.CopyRows(x, MatrixView.Dense(pair, 1, w.In, w.In));
        var result = Temp(DType.F32, 2L * w.Out);                      // [2, Out]
        Device.Linear(w, MatrixView.Dense(pair, 2, w.In), MatrixView.Dense(result, 2, w.Out), roundToBf16, PowerOfTwoScales);
        Device.CopyRows(MatrixView.Dense(result, 1, w.Out), y);
    }

    /// <summary>Downloads a whole F32 buffer prefix (for traces and decisions).</summary>
    public float[] DownloadFloats(DeviceBuffer buffer, long count)
    {
        var values = new float[count];
        Device.Download<float>(buffer, 0, values);
        return values;
    }

    public void Dispose()
    {
        foreach (var buffer in _temporaries) buffer.Dispose();
        _temporaries.Clear();
        _rowPositions?.Dispose();
        _rowPositions = null;
        foreach (var group in _groups ?? []) group.Dispose();
        _groups = null;
    }
}

/// <summary>Observer of intermediate values; every method receives data valid only during the call.</summary>
public interface IForwardTrace
{
    /// <summary>Indexer scores of one layer: [tokens, endPos] with -inf where causally masked.</summary>
    void IndexScores(int layer, int startPos, int tokens, ReadOnlySpan<float> scores) { }

    /// <summary>Residual stream after a layer (h + residual, bf16 values): [tokens, hidden].</summary>
    void LayerOutput(int layer, ReadOnlySpan<float> hidden) { }

    /// <summary>Router scores of one token in one MoE layer: sigmoid [experts] and bias-corrected [experts], before group masking.</summary>
    void RouterScores(int moeLayer, int position, ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> biased) { }

    /// <summary>Output of the final norm: [tokens, hidden].</summary>
    void FinalHidden(ReadOnlySpan<float> hidden) { }
}
