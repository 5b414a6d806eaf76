using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Row-major y = x·Wᵀ through <c>cublasGemmEx</c> on the device's stream, fp32 accumulation (CUBLAS_COMPUTE_32F, default
/// math mode: no TF32). cuBLAS is column-major, so we compute yᵀ = W·xᵀ: a row-major W [Out, In] is the column-major
/// [In, Out] matrix with ld In (transposed: op T), a row-major x [rows, In] with row stride s is column-major [In, rows]
/// with ld s (op N), and y [rows, Out] with stride t is column-major [Out, rows] with ld t.
/// </summary>
public sealed unsafe class CublasGemm : IDisposable
{
    private readonly Cublas _api;
    private readonly CublasHandle _handle;
    private readonly CudaContext _context;

    public CublasGemm(Cublas api, CudaContext context, CudaStream stream)
    {
        _api = api;
        _context = context;
        context.MakeCurrent();
        nint handle;
        api.ThrowIfFailed(api.cublasCreate(&handle));
        _handle = new CublasHandle(api, context.Driver, context.Handle, handle);
        api.ThrowIfFailed(api.cublasSetStream(handle, stream.Handle));
        api.ThrowIfFailed(api.cublasSetMathMode(handle, Cublas.DefaultMath));
    }

    /// <summary>
    /// y [rows, outFeatures] (ld yStride, fp32) = x [rows, inFeatures] (ld xStride) · W [outFeatures, inFeatures]ᵀ;
    /// <paramref name="dataType"/> (Cublas.DataR16BF or DataR32F) is the type of both x and W.
    /// </summary>
    public void Multiply(int dataType, nint w, int outFeatures, int inFeatures, nint x, int xStride, int rows, nint y, int yStride, string what)
    {
        if (rows == 0) return;
        _context.MakeCurrent();
        float alpha = 1f, beta = 0f;
        var status = _api.cublasGemmEx(_handle.DangerousGetHandle(), Cublas.OpT, Cublas.OpN, outFeatures, rows, inFeatures,
            &alpha, (void*)w, dataType, inFeatures, (void*)x, dataType, xStride, &beta, (void*)y, Cublas.DataR32F, yStride,
            Cublas.Compute32F, Cublas.GemmDefault);
        _api.ThrowIfFailed(status, $"cublasGemmEx({what}: [{rows}, {inFeatures}] x [{outFeatures}, {inFeatures}]T)");
    }

    /// <summary>
    /// Column-major C_i [m, n] = op(A_i) [m, k] · op(B_i) [k, n] for i &lt; batch, A_i = a + i·strideA (and so on, in
    /// elements), fp32 accumulation on the tensor cores with bf16 operands: either A and B are bf16 already
    /// (<paramref name="bf16Operands"/>; C bf16, rounded to nearest, when <paramref name="bf16Output"/>, else fp32), or
    /// they are fp32 converted to bf16 by cuBLAS (CUBLAS_COMPUTE_32F_FAST_16BF; C fp32). Either way the products are
    /// exact for operands that hold bf16 values, as the absorbed MLA's do.
    /// </summary>
    public void MultiplyBatched(bool transposeA, int m, int n, int k, nint a, int lda, long strideA, nint b, int ldb, long strideB,
        nint c, int ldc, long strideC, int batch, bool bf16Operands, bool bf16Output, string what)
    {
        if (m == 0 || n == 0 || batch == 0) return;
        if (bf16Output && !bf16Operands) throw new ArgumentException($"{what}: a bf16 result needs bf16 operands", nameof(bf16Output));
        _context.MakeCurrent();
        float alpha = 1f, beta = 0f;
        var ab = bf16Operands ? Cublas.DataR16BF : Cublas.DataR32F;
        var status = _api.cublasGemmStridedBatchedEx(_handle.DangerousGetHandle(), transposeA ? Cublas.OpT : Cublas.OpN, Cublas.OpN,
            m, n, k, &alpha, (void*)a, ab, lda, strideA, (void*)b, ab, ldb, strideB, &beta,
            (void*)c, bf16Output ? Cublas.DataR16BF : Cublas.DataR32F, ldc, strideC, batch,
            bf16Operands ? Cublas.Compute32F : Cublas.Compute32FFast16BF, Cublas.GemmDefault);
        _api.ThrowIfFailed(status, $"cublasGemmStridedBatchedEx({what}: {batch} × [{m}, {k}] x [{k}, {n}])");
    }

    public void Dispose() => _handle.Dispose();
}
