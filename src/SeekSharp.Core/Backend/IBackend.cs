namespace SeekSharp.Core.Backend;

/// <summary>
/// The compute primitives the model runs on. Implementations: <see cref="ScalarBackend"/> (reference
/// loops, the oracle of the op tests) and the SIMD, multi-threaded <c>SeekSharp.Cpu.CpuBackend</c>.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short name for logs and benchmark tables.</summary>
    string Name { get; }

    /// <summary>Degree of parallelism of <see cref="For"/> (the calling thread included).</summary>
    int Threads { get; }

    /// <summary>
    /// y[rows, Out] = x[rows, In] · Wᵀ as fp32, not rounded (callers round to bf16 where the reference does).
    /// F8E4M3: each x row is act-quantised per 128 columns (<c>ActQuant</c>; ue8m0 power-of-two scales when
    /// <paramref name="powerOfTwoActivationScales"/>), then per 128-wide K block
    /// partial = Σ fp32(a8·w8), y += partial · (aScale[kb] · ScaleInv[n/128, kb]) in fp32 (the reference fp8_gemm).
    /// BF16 / F32: y = Σ_k x[k] · fp32(w[n, k]) with fp32 accumulation.
    /// Summation order inside a block is implementation-defined (see each backend).
    /// </summary>
    void Linear(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y, bool powerOfTwoActivationScales = true);

    /// <summary>
    /// Runs body(start, end) over contiguous chunks that cover [0, count) exactly once, in parallel where the
    /// backend can, and returns when all are done. A call from inside a body runs inline (no deadlock).
    /// Exceptions thrown by a body reach the caller.
    /// </summary>
    void For(int count, Action<int, int> body);
}
