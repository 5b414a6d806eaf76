using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// The block-scaled FP8 GEMM of the reference through cuBLASLt (12.9+, Hopper): y = x8·W8ᵀ where every 128-wide K
/// block's product is scaled by the activation row's scale (VEC128_32F) times the weight block's scale_inv
/// (BLK128x128_32F), accumulated in fp32. Column-major as cuBLAS is: yᵀ [Out, rows] = op(A = W, transposed) · (B = x).
/// The activation scales go K-block-major ([In/128, rows]: one row's scales are rows apart), the checkpoint's weight
/// scales as they are ([Out/128, In/128]). Shapes the library does not take (see <see cref="Takes"/>) or that get no
/// algorithm stay with our kernels. A plan (descriptors + algorithm) is made once per shape.
/// </summary>
public sealed unsafe class CublasLtFp8Gemm : IDisposable
{
    /// <summary>Fewest rows worth a library call: below this our GEMV and tensor-core kernels win (prefill shapes are the point).</summary>
    public const int MinRows = 64;

    private const long WorkspaceBytes = 32L << 20;
    private readonly CublasLt _api;
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly nint _handle;
    private readonly CudaBuffer _workspace;
    private readonly Dictionary<(int Rows, int Out, int In, int YStride, bool Bf16), Plan?> _plans = [];
    private readonly List<string> _refusals = [];

    /// <summary>cuBLASLt's version and the shapes it refused (with the status of the step that failed), for logs and benchmarks.</summary>
    public string Describe() =>
        $"cuBLASLt {_api.cublasLtGetVersion()} block-scaled FP8 for ≥ {MinRows} rows" + (_refusals.Count == 0 ? "" : $"; refused: {string.Join("; ", _refusals)}");
    private bool _disposed;

    private readonly ElementwiseLauncher _elementwise;
    private readonly Func<DType, long, CudaBuffer> _scratch;

    public CublasLtFp8Gemm(CublasLt api, CudaContext context, CudaStream stream, ElementwiseLauncher elementwise, Func<DType, long, CudaBuffer> scratch)
    {
        _api = api;
        _elementwise = elementwise;
        _scratch = scratch;
        _context = context;
        _stream = stream;
        context.MakeCurrent();
        nint handle;
        api.ThrowIfFailed(api.cublasLtCreate(&handle));
        _handle = handle;
        _workspace = scratch(DType.U8, WorkspaceBytes);
    }

    /// <summary>Whether linears use this path at all (CudaDevice.LibraryFp8Gemm).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Whether the library path applies: enabled, rows a multiple of 4 and at least <see cref="MinRows"/>, In a multiple of 512 (whole
    /// scale blocks, their count a multiple of 4), Out and the y stride multiples of 16 and 4, FP8 weight with scales.
    /// </summary>
    public bool Takes(int rows, CudaLinear w, MatrixView y) =>
        Enabled && rows >= MinRows && rows % 4 == 0 && w.DType == DType.F8E4M3 && w.Scales is not null && w.In % 512 == 0 && w.Out % 16 == 0
        && y.Stride % 4 == 0 && y.Offset % 4 == 0;

    /// <summary>
    /// The plan for y (F32 view [rows, Out]) = codes [rows, In] times <paramref name="w"/>, made once per shape: fp32 output
    /// straight into y, else (when <paramref name="roundToBf16"/>) a bf16 output widened into y; null when cuBLASLt has
    /// neither. The heuristic wants the scale pointers set, so it is asked with this call's.
    /// </summary>
    internal Plan? PlanFor(CudaLinear w, MatrixView y, CudaBuffer scales, bool roundToBf16)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint aScale = w.Scales!.Pointer, bScale = scales.Pointer;
        return PlanFor(y.Rows, w.Out, w.In, y.Stride, bf16: false, aScale, bScale)
            ?? (roundToBf16 ? PlanFor(y.Rows, w.Out, w.In, w.Out, bf16: true, aScale, bScale) : null);
    }

    /// <summary>Queues the product with a plan from <see cref="PlanFor(CudaLinear, MatrixView, CudaBuffer, bool)"/>; scales F32 [In/128, rows].</summary>
    internal void Multiply(Plan plan, CudaBuffer codes, CudaBuffer scales, CudaLinear w, MatrixView y, nint yPointer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var rows = y.Rows;
        _context.MakeCurrent();
        nint aScale = w.Scales!.Pointer, bScale = scales.Pointer;
        _api.ThrowIfFailed(_api.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLt.DescAScalePointer, &aScale, (nuint)sizeof(nint)));
        _api.ThrowIfFailed(_api.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLt.DescBScalePointer, &bScale, (nuint)sizeof(nint)));
        float alpha = 1f, beta = 0f;
        var algo = plan.Algorithm;
        using var packed = plan.OutputBf16 ? _scratch(DType.BF16, (long)rows * w.Out) : null;   // [rows, Out] when D is bf16
        var d = packed?.Pointer ?? yPointer;
        _api.ThrowIfFailed(_api.cublasLtMatmul(_handle, plan.Desc, &alpha, (void*)w.Data.Pointer, plan.A, (void*)codes.Pointer, plan.B,
            &beta, (void*)d, plan.D, (void*)d, plan.D, &algo, (void*)_workspace.Pointer, (nuint)WorkspaceBytes, _stream.Handle),
            $"cublasLtMatmul({w.Name}: [{rows}, {w.In}] x [{w.Out}, {w.In}]T, block-scaled FP8)");
        if (packed is not null) _elementwise.UnpackBf16(packed, y, $"linear {w.Name}");
    }

    private Plan? PlanFor(int rows, int outFeatures, int inFeatures, int dStride, bool bf16, nint aScale, nint bScale)
    {
        var key = (rows, outFeatures, inFeatures, dStride, bf16);
        if (_plans.TryGetValue(key, out var plan)) return plan;
        plan = Plan.Create(_api, _context, _handle, rows, outFeatures, inFeatures, dStride, bf16, aScale, bScale, WorkspaceBytes, out var refusal);
        if (refusal is not null) _refusals.Add($"[{rows}, {inFeatures}] x [{outFeatures}, {inFeatures}]T → {(bf16 ? "bf16" : "fp32")}: {refusal}");
        return _plans[key] = plan;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var plan in _plans.Values) plan?.Dispose();
        _workspace.Dispose();
        _context.MakeCurrent();
        _api.cublasLtDestroy(_handle);
    }

    /// <summary>Descriptors and the heuristic's first algorithm for one shape.</summary>
    internal sealed class Plan(CublasLt api, nint desc, nint a, nint b, nint d, CublasLt.Algo algorithm, bool outputBf16) : IDisposable
    {
        public bool OutputBf16 => outputBf16;
        public nint Desc => desc;
        public nint A => a;
        public nint B => b;
        public nint D => d;
        public CublasLt.Algo Algorithm => algorithm;

        public static Plan? Create(CublasLt api, CudaContext context, nint handle, int rows, int outFeatures, int inFeatures, int dStride,
            bool bf16, nint aScale, nint bScale, long workspace, out string? refusal)
        {
            refusal = null;
            context.MakeCurrent();
            nint desc = 0, a = 0, b = 0, d = 0, pref = 0;
            try
            {
                api.ThrowIfFailed(api.cublasLtMatmulDescCreate(&desc, Cublas.Compute32F, CublasLt.DataR32F));
                int opT = Cublas.OpT, opN = Cublas.OpN, blockScale = CublasLt.ScaleBlock128x128F32, rowScale = CublasLt.ScaleVec128F32;
                api.ThrowIfFailed(api.cublasLtMatmulDescSetAttribute(desc, CublasLt.DescTransA, &opT, sizeof(int)));
                api.ThrowIfFailed(api.cublasLtMatmulDescSetAttribute(desc, CublasLt.DescTransB, &opN, sizeof(int)));
                api.ThrowIfFailed(api.cublasLtMatmulDescSetAttribute(desc, CublasLt.DescAScaleMode, &blockScale, sizeof(int)));
                api.ThrowIfFailed(api.cublasLtMatmulDescSetAttribute(desc, CublasLt.DescBScaleMode, &rowScale, sizeof(int)));
                // the heuristic checks the scale pointers too; each call sets its own before cublasLtMatmul
                api.ThrowIfFailed(api.cublasLtMatmulDescSetAttribute(desc, CublasLt.DescAScalePointer, &aScale, (nuint)sizeof(nint)));
                api.ThrowIfFailed(api.cublasLtMatmulDescSetAttribute(desc, CublasLt.DescBScalePointer, &bScale, (nuint)sizeof(nint)));
                // column-major: W is [In, Out] (ld In), x is [In, rows] (ld In), y is [Out, rows] (ld yStride)
                api.ThrowIfFailed(api.cublasLtMatrixLayoutCreate(&a, CublasLt.DataR8FE4M3, (ulong)inFeatures, (ulong)outFeatures, inFeatures));
                api.ThrowIfFailed(api.cublasLtMatrixLayoutCreate(&b, CublasLt.DataR8FE4M3, (ulong)inFeatures, (ulong)rows, inFeatures));
                api.ThrowIfFailed(api.cublasLtMatrixLayoutCreate(&d, bf16 ? CublasLt.DataR16BF : CublasLt.DataR32F, (ulong)outFeatures, (ulong)rows, dStride));
                api.ThrowIfFailed(api.cublasLtMatmulPreferenceCreate(&pref));
                var bytes = (ulong)workspace;
                api.ThrowIfFailed(api.cublasLtMatmulPreferenceSetAttribute(pref, CublasLt.PrefMaxWorkspaceBytes, &bytes, sizeof(ulong)));
                CublasLt.HeuristicResult result;
                int found = 0;
                var status = api.cublasLtMatmulAlgoGetHeuristic(handle, desc, a, b, d, d, pref, 1, &result, &found);
                api.cublasLtMatmulPreferenceDestroy(pref);
                pref = 0;
                if (status != 0 || found == 0 || result.State != 0)
                {
                    refusal = $"heuristic status {status}, {found} algorithms, state {result.State}";
                    Destroy(api, desc, a, b, d);
                    return null;
                }
                return new Plan(api, desc, a, b, d, result.Algorithm, bf16);
            }
            catch (CudaException e)
            {
                refusal = e.Message;
                // a cuBLASLt older than 12.9 rejects the block-scale modes: no plan, our kernels take the shape
                if (pref != 0) api.cublasLtMatmulPreferenceDestroy(pref);
                Destroy(api, desc, a, b, d);
                return null;
            }
        }

        private static void Destroy(CublasLt api, nint desc, nint a, nint b, nint d)
        {
            if (d != 0) api.cublasLtMatrixLayoutDestroy(d);
            if (b != 0) api.cublasLtMatrixLayoutDestroy(b);
            if (a != 0) api.cublasLtMatrixLayoutDestroy(a);
            if (desc != 0) api.cublasLtMatmulDescDestroy(desc);
        }

        public void Dispose() => Destroy(api, desc, a, b, d);
    }
}
