using SeekSharp.Core.Compute;

namespace SeekSharp.Cuda;

// The dense, MoE and sampling ops: each one launcher call (launchers validate their arguments).
public sealed partial class CudaDevice
{
    public void Embed(DeviceLinear table, DeviceBuffer ids, int count, DeviceBuffer output)
    {
        var t = table as CudaLinear ?? throw new ArgumentException($"embed: table {table} does not belong to the CUDA device", nameof(table));
        _elementwise.Embed(t, ids, count, output, _errorFlag);
        _embedVocab = t.Out;
        _errorFlagArmed = true;
    }

    public void Linear(DeviceLinear weight, MatrixView x, MatrixView y, bool roundToBf16, bool powerOfTwoScales) =>
        _linear.Linear(weight, x, y, roundToBf16, powerOfTwoScales);

    public void AddRmsNorm(DeviceBuffer h, DeviceBuffer residual, bool hasResidual, DeviceBuffer weight, float eps, DeviceBuffer y, int rows, int width) =>
        _norm.AddRmsNorm(h, residual, hasResidual, weight, eps, y, rows, width);

    public void RmsNorm(MatrixView x, DeviceBuffer weight, float eps, MatrixView y) => _norm.RmsNorm(x, weight, eps, y);

    public void LayerNorm(MatrixView x, DeviceBuffer weight, DeviceBuffer bias, float eps) => _norm.LayerNorm(x, weight, bias, eps);

    public void Rope(MatrixView x, int rowsPerPosition, int startPos, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout) =>
        _rotary.Rope(x, rowsPerPosition, startPos, cos, sin, layout);

    public void RopeAt(MatrixView x, int rowsPerPosition, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout) =>
        _rotary.RopeAt(x, rowsPerPosition, positions, cos, sin, layout);

    public void HadamardRound(MatrixView x) => _rotary.Hadamard(x);

    public void ActQuant(MatrixView x, DeviceBuffer codes, long codesOffset, DeviceBuffer scales, long scalesOffset, bool powerOfTwo) =>
        _quant.ActQuant(x, codes, codesOffset, scales, scalesOffset, powerOfTwo);

    public void FakeQuantize(MatrixView x, bool powerOfTwo) => _quant.FakeQuantize(x, powerOfTwo);

    public void ScaleIndexerWeights(DeviceBuffer weights, DeviceBuffer qScales, int count, float headScale, float dimScale) =>
        _elementwise.ScaleIndexerWeights(weights, qScales, count, headScale, dimScale);

    public void MoeRoute(DeviceBuffer logits, DeviceBuffer bias, int tokens, MoeRouting routing, DeviceBuffer? forced,
        DeviceBuffer ids, DeviceBuffer weights) => _moe.Route(logits, bias, tokens, routing, forced, ids, weights);

    public void GatherRows(DeviceBuffer x, DeviceBuffer rows, int rowsOffset, int count, int width, DeviceBuffer output) =>
        _elementwise.GatherRows(x, rows, rowsOffset, count, width, output);

    public void ScatterAddScaled(DeviceBuffer y, DeviceBuffer rows, DeviceBuffer scales, int rowsOffset, int count, int width, DeviceBuffer sum) =>
        _elementwise.ScatterAddScaled(y, rows, scales, rowsOffset, count, width, sum);

    public void SiluMul(DeviceBuffer gate, DeviceBuffer up, int count) => _elementwise.SiluMul(gate, up, count);

    public void AddRound(DeviceBuffer a, DeviceBuffer b, DeviceBuffer output, int count) => _elementwise.AddRound(a, b, output, count);

    public void ArgMax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer ids) => _sampling.ArgMax(logits, rows, vocab, ids);

    public void SampleRows(DeviceBuffer logits, int rows, int vocab, ReadOnlySpan<RowSampling> settings, DeviceBuffer ids)
    {
        if (settings.Length < rows) throw new ArgumentException($"sample_rows: {settings.Length} settings for {rows} rows", nameof(settings));
        if (rows == 0) return;
        var packed = Launchers.SamplingLauncher.Pack(settings[..rows]);
        using var device = Scratch(Core.DType.I32, packed.Length);    // [rows, 7] settings, freed after the launch is queued
        Upload<int>(packed, device);
        _sampling.SampleRows(logits, rows, vocab, device, ids);
    }
}
