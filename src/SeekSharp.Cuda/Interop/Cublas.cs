using System.Runtime.CompilerServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>
/// cuBLAS (v2 API) as unmanaged function pointers: handle management, <c>cublasGemmEx</c> and its strided batched form. cublasStatus_t is int
/// (0 = success). Enum values are those of cublas_api.h / library_types.h.
/// </summary>
public sealed unsafe class Cublas
{
    public const int Success = 0;

    /// <summary>cublasOperation_t.</summary>
    public const int OpN = 0, OpT = 1;

    /// <summary>cudaDataType_t.</summary>
    public const int DataR32F = 0, DataR16BF = 14;

    /// <summary>cublasComputeType_t: fp32 compute (no TF32 unless the math mode allows it), and its pedantic form.</summary>
    public const int Compute32F = 68, Compute32FPedantic = 69;

    /// <summary>
    /// cublasComputeType_t CUBLAS_COMPUTE_32F_FAST_16BF: fp32 operands converted to bf16 for the tensor cores, fp32
    /// accumulation. Exact products when the operands already hold bf16 values.
    /// </summary>
    public const int Compute32FFast16BF = 75;

    /// <summary>cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT.</summary>
    public const int GemmDefault = -1;

    /// <summary>cublasMath_t CUBLAS_DEFAULT_MATH (no TF32 down-conversion of fp32 inputs).</summary>
    public const int DefaultMath = 0;

    public Cublas(LoadedLibrary library)
    {
        Library = library;
        cublasCreate = (delegate* unmanaged<nint*, int>)NativeExports.Require(library, "cublasCreate_v2");
        cublasDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cublasDestroy_v2");
        cublasSetStream = (delegate* unmanaged<nint, nint, int>)NativeExports.Require(library, "cublasSetStream_v2");
        cublasSetMathMode = (delegate* unmanaged<nint, int, int>)NativeExports.Require(library, "cublasSetMathMode");
        cublasGetVersion = (delegate* unmanaged<nint, int*, int>)NativeExports.Require(library, "cublasGetVersion_v2");
        cublasGetStatusName = (delegate* unmanaged<int, byte*>)NativeExports.Require(library, "cublasGetStatusName");
        cublasGetStatusString = (delegate* unmanaged<int, byte*>)NativeExports.Require(library, "cublasGetStatusString");
        cublasGemmEx = (delegate* unmanaged<nint, int, int, int, int, int, void*, void*, int, int, void*, int, int, void*, void*, int, int, int, int, int>)
            NativeExports.Require(library, "cublasGemmEx");
        cublasGemmStridedBatchedEx = (delegate* unmanaged<nint, int, int, int, int, int, void*, void*, int, int, long, void*, int, int, long, void*, void*, int, int, long, int, int, int, int>)
            NativeExports.Require(library, "cublasGemmStridedBatchedEx");
    }

    public LoadedLibrary Library { get; }

    public readonly delegate* unmanaged<nint*, int> cublasCreate;
    public readonly delegate* unmanaged<nint, int> cublasDestroy;
    public readonly delegate* unmanaged<nint, nint, int> cublasSetStream;
    public readonly delegate* unmanaged<nint, int, int> cublasSetMathMode;
    public readonly delegate* unmanaged<nint, int*, int> cublasGetVersion;
    public readonly delegate* unmanaged<int, byte*> cublasGetStatusName;
    public readonly delegate* unmanaged<int, byte*> cublasGetStatusString;

    /// <summary>
    /// (handle, transa, transb, m, n, k, alpha*, A, Atype, lda, B, Btype, ldb, beta*, C, Ctype, ldc, computeType, algo):
    /// column-major C[m, n] = alpha·op(A)[m, k]·op(B)[k, n] + beta·C.
    /// </summary>
    public readonly delegate* unmanaged<nint, int, int, int, int, int, void*, void*, int, int, void*, int, int, void*, void*, int, int, int, int, int> cublasGemmEx;

    /// <summary>
    /// (handle, transa, transb, m, n, k, alpha*, A, Atype, lda, strideA, B, Btype, ldb, strideB, beta*, C, Ctype, ldc, strideC,
    /// batchCount, computeType, algo): cublasGemmEx for batch i on A + i·strideA, B + i·strideB, C + i·strideC (elements).
    /// </summary>
    public readonly delegate* unmanaged<nint, int, int, int, int, int, void*, void*, int, int, long, void*, int, int, long, void*, void*, int, int, long, int, int, int, int> cublasGemmStridedBatchedEx;

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the status is CUBLAS_STATUS_SUCCESS.</summary>
    public void ThrowIfFailed(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != Success)
        {
            throw new CudaException("cuBLAS", call, status, NativeExports.Utf8(cublasGetStatusName(status), $"cublasStatus {status}"),
                NativeExports.Utf8(cublasGetStatusString(status), ""));
        }
    }
}
