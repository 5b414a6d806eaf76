using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>sampling.cu: greedy argmax per row, and temperature / top-k / top-p sampling with seeded noise.</summary>
public sealed class SamplingLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "sampling.cu")
{
    public void ArgMax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer ids)
    {
        const string op = "argmax";
        LaunchChecks.NonNegative(rows, op, nameof(rows));
        LaunchChecks.Positive(vocab, op, nameof(vocab));
        var l = LaunchChecks.Buffer(logits, DType.F32, (long)rows * vocab, op, nameof(logits));
        var o = LaunchChecks.Buffer(ids, DType.I32, rows, op, nameof(ids));
        Launch("argmax_rows", new Dim3((uint)rows), new Dim3(1024), new KernelArgs().Ptr(l.Pointer).Int(vocab).Ptr(o.Pointer));
    }

    /// <summary>Settings [rows, 7] as the kernel reads them: temperature and top_p bits, top_k, seed and counter as two ints each.</summary>
    public static int[] Pack(ReadOnlySpan<RowSampling> settings)
    {
        var packed = new int[settings.Length * 7];
        for (var r = 0; r < settings.Length; r++)
        {
            var s = settings[r];
            if (s.Temperature < 0 || float.IsNaN(s.Temperature)) throw new ArgumentOutOfRangeException(nameof(settings), $"sample_rows: row {r} temperature {s.Temperature} must be ≥ 0");
            if (!(s.TopP > 0 && s.TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(settings), $"sample_rows: row {r} top_p {s.TopP} must be in (0, 1]");
            if (s.TopK < 0) throw new ArgumentOutOfRangeException(nameof(settings), $"sample_rows: row {r} top_k {s.TopK} must be ≥ 0");
            packed[r * 7] = BitConverter.SingleToInt32Bits(s.Temperature);
            packed[r * 7 + 1] = BitConverter.SingleToInt32Bits(s.TopP);
            packed[r * 7 + 2] = s.TopK;
            packed[r * 7 + 3] = unchecked((int)s.Seed);
            packed[r * 7 + 4] = (int)(s.Seed >> 32);
            packed[r * 7 + 5] = unchecked((int)s.Counter);
            packed[r * 7 + 6] = (int)(s.Counter >> 32);
        }
        return packed;
    }

    public void SampleRows(DeviceBuffer logits, int rows, int vocab, DeviceBuffer settings, DeviceBuffer ids)
    {
        const string op = "sample_rows";
        LaunchChecks.NonNegative(rows, op, nameof(rows));
        LaunchChecks.Positive(vocab, op, nameof(vocab));
        var l = LaunchChecks.Buffer(logits, DType.F32, (long)rows * vocab, op, nameof(logits));
        var s = LaunchChecks.Buffer(settings, DType.I32, (long)rows * 7, op, nameof(settings));
        var o = LaunchChecks.Buffer(ids, DType.I32, rows, op, nameof(ids));
        Launch("sample_rows", new Dim3((uint)rows), new Dim3(1024), new KernelArgs().Ptr(l.Pointer).Int(vocab).Ptr(s.Pointer).Ptr(o.Pointer));
    }
}
