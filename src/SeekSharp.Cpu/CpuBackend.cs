using System.Buffers;
using System.Runtime.Intrinsics.X86;
using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;
using SeekSharp.Cpu.Kernels;

namespace SeekSharp.Cpu;

/// <summary>
/// The optimised CPU backend: SIMD linear kernels that read FP8 / BF16 / F32 weights in place (never
/// widened in memory), parallelised over output rows on a fixed <see cref="WorkerPool"/>.
/// Results match <see cref="ScalarBackend"/> up to fp32 summation order: inside every 128-wide K block the
/// products are added lane-interleaved and then reduced across lanes (see <see cref="DotKernels{TVec}"/>; the
/// 1-row FP8 path on AVX2 adds them in its decoder's lane order, see <see cref="Fp8GemvAvx2"/>).
/// The e4m3 NaN codes (never present in checkpoints) decode to ±480 instead of NaN.
/// Thread safety: concurrent Linear / For calls are allowed; calls made from inside a For body run on the
/// calling thread alone.
/// </summary>
public sealed unsafe class CpuBackend : IBackend
{
    /// <summary>Output rows per unit of parallel work (a multiple of the prefill tile height).</summary>
    private const int RowGrain = 16;

    /// <summary>Chunks per thread: spare chunks absorb a preempted or slower worker.</summary>
    private const int ChunksPerThread = 4;

    /// <summary>Activation rows quantised and multiplied per pass over W (bounds the scratch buffers).</summary>
    private const int SlabRows = 256;

    private readonly WorkerPool _pool;

    /// <param name="threads">Degree of parallelism, the caller included; 0 = Environment.ProcessorCount.</param>
    /// <param name="simd">Register width; null = <see cref="SimdPaths.Best"/>. Tests force each width.</param>
    public CpuBackend(int threads = 0, SimdPath? simd = null)
    {
        _pool = new WorkerPool(threads);
        Simd = simd ?? SimdPaths.Best;
    }

    /// <inheritdoc/>
    public string Name => $"cpu-{Simd.ToString().ToLowerInvariant()}";

    /// <inheritdoc/>
    public int Threads => _pool.Threads;

    /// <summary>The register width the kernels use.</summary>
    public SimdPath Simd { get; }

    /// <inheritdoc/>
    public void Linear(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y, bool powerOfTwoActivationScales = true)
    {
        BackendChecks.Linear(w, x, rows, y);
        if (rows == 0) return;
        switch (Simd)
        {
            case SimdPath.Vector512: Linear<Vector512Float>(w, x, rows, y, powerOfTwoActivationScales); break;
            case SimdPath.Vector256: Linear<Vector256Float>(w, x, rows, y, powerOfTwoActivationScales); break;
            default: Linear<ScalarFloat>(w, x, rows, y, powerOfTwoActivationScales); break;
        }
        GC.KeepAlive(w);
    }

    /// <inheritdoc/>
    public void For(int count, Action<int, int> body) => _pool.For(count, body);

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _pool.Dispose();

    private void Linear<TVec>(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y, bool powerOfTwo)
        where TVec : unmanaged, ISimdFloat<TVec>
    {
        fixed (float* px = x, py = y)
        {
            switch (w.DType)
            {
                case DType.F8E4M3: LinearFp8<TVec>(w, px, rows, py, powerOfTwo); break;
                case DType.BF16: Multiply<TVec, Bf16Format>(Dense(w, px, rows, py)); break;
                case DType.F32: Multiply<TVec, F32Format>(Dense(w, px, rows, py)); break;
                default: throw new NotSupportedException($"{w.Name}: {w.DType}");
            }
        }
    }

    private void LinearFp8<TVec>(LinearWeight w, float* x, int rows, float* y, bool powerOfTwo)
        where TVec : unmanaged, ISimdFloat<TVec>
    {
        if (rows == 1 && typeof(TVec) == typeof(Vector256Float) && Avx2.IsSupported)
        {
            DecodeFp8Avx2(w, x, y, powerOfTwo);
            return;
        }
        var inF = w.In;
        var kBlocks = w.InBlocks;
        var slab = Math.Min(rows, SlabRows);
        var codes = ArrayPool<byte>.Shared.Rent(slab * inF);        // [slab, In] e4m3
        var values = ArrayPool<float>.Shared.Rent(slab * inF);      // [slab, In] the codes as fp32
        var scales = ArrayPool<float>.Shared.Rent(slab * kBlocks);  // [slab, kBlocks]
        try
        {
            fixed (byte* pc = codes)
            fixed (float* pv = values, ps = scales, pw = w.ScaleInv)
            {
                for (var s0 = 0; s0 < rows; s0 += SlabRows)
                {
                    var count = Math.Min(SlabRows, rows - s0);
                    QuantizeActivations<TVec>(x + (long)s0 * inF, count, inF, pc, pv, ps, powerOfTwo);
                    Multiply<TVec, Fp8Format>(new LinearProblem
                    {
                        Weight = (void*)w.Data, WeightScales = pw, Out = w.Out, In = inF,
                        Activations = pv, ActivationScales = ps, Output = y + (long)s0 * w.Out, Rows = count,
                    });
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scales);
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<byte>.Shared.Return(codes);
        }
    }

    /// <summary>
    /// One activation row (decode) on AVX2: act_quant straight into <see cref="Fp8GemvAvx2"/>'s layout on the
    /// calling thread (one row is not worth a dispatch), then the output rows split across the pool.
    /// </summary>
    private void DecodeFp8Avx2(LinearWeight w, float* x, float* y, bool powerOfTwo)
    {
        var inF = w.In;
        var kBlocks = w.InBlocks;
        var values = ArrayPool<float>.Shared.Rent(inF + kBlocks);   // [In] activations, [kBlocks] doubled scales
        try
        {
            fixed (float* pv = values, pw = w.ScaleInv)
            {
                Fp8DecodeActivations.Prepare(x, inF, powerOfTwo, pv, pv + inF);
                var problem = new LinearProblem
                {
                    Weight = (void*)w.Data, WeightScales = pw, Out = w.Out, In = inF,
                    Activations = pv, ActivationScales = pv + inF, Output = y, Rows = 1,
                };
                var units = (w.Out + RowGrain - 1) / RowGrain;
                var outF = w.Out;
                _pool.For(units, Math.Min(units, _pool.Threads * ChunksPerThread), (u0, u1) =>
                    Fp8GemvAvx2.Rows(problem, u0 * RowGrain, Math.Min(u1 * RowGrain, outF)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    /// <summary>act_quant per row (the Numerics reference, so codes and scales are the oracle's), codes widened to fp32.</summary>
    private void QuantizeActivations<TVec>(float* x, int rows, int inF, byte* codes, float* values, float* scales,
        bool powerOfTwo) where TVec : unmanaged, ISimdFloat<TVec>
    {
        var kBlocks = (inF + LinearDriver.Block - 1) / LinearDriver.Block;
        _pool.For(rows, (r0, r1) =>
        {
            for (var r = r0; r < r1; r++)
            {
                var rowCodes = codes + (long)r * inF;
                ActQuant.QuantizeRow(new ReadOnlySpan<float>(x + (long)r * inF, inF), new Span<byte>(rowCodes, inF),
                    new Span<float>(scales + (long)r * kBlocks, kBlocks), LinearDriver.Block, powerOfTwo);
                DotKernels<TVec>.Decode<Fp8Format>(rowCodes, values + (long)r * inF, inF);
            }
        });
    }

    private static LinearProblem Dense(LinearWeight w, float* x, int rows, float* y) => new()
    {
        Weight = (void*)w.Data, WeightScales = null, Out = w.Out, In = w.In,
        Activations = x, ActivationScales = null, Output = y, Rows = rows,
    };

    /// <summary>Splits the output rows into chunks of whole <see cref="RowGrain"/> units across the pool.</summary>
    private void Multiply<TVec, TW>(LinearProblem problem)
        where TVec : unmanaged, ISimdFloat<TVec>
        where TW : unmanaged, IWeightFormat
    {
        var units = (problem.Out + RowGrain - 1) / RowGrain;
        var chunks = Math.Min(units, _pool.Threads * ChunksPerThread);
        var outF = problem.Out;
        if (problem.Rows == 1)
        {
            _pool.For(units, chunks, (u0, u1) =>
                LinearDriver<TVec, TW>.SingleRow(problem, u0 * RowGrain, Math.Min(u1 * RowGrain, outF)));
        }
        else
        {
            _pool.For(units, chunks, (u0, u1) =>
                LinearDriver<TVec, TW>.Tiled(problem, u0 * RowGrain, Math.Min(u1 * RowGrain, outF)));
        }
    }
}
