using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>
/// cuBLASLt as unmanaged function pointers: the matmul descriptor, layout and preference objects, the heuristic query
/// and <c>cublasLtMatmul</c>. Enum values are those of cublasLt.h (CUDA 12.9+) and library_types.h.
/// </summary>
public sealed unsafe class CublasLt
{
    /// <summary>cudaDataType_t.</summary>
    public const int DataR32F = 0, DataR16BF = 14, DataR8FE4M3 = 28;

    /// <summary>cublasLtMatmulDescAttributes_t.</summary>
    public const int DescTransA = 3, DescTransB = 4, DescAScalePointer = 17, DescBScalePointer = 18, DescAScaleMode = 31, DescBScaleMode = 32;

    /// <summary>cublasLtMatmulMatrixScale_t: one fp32 scale per 128 K values of each row / per 128 × 128 block.</summary>
    public const int ScaleVec128F32 = 4, ScaleBlock128x128F32 = 5;

    /// <summary>cublasLtMatmulPreferenceAttributes_t CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES.</summary>
    public const int PrefMaxWorkspaceBytes = 1;

    public CublasLt(LoadedLibrary library)
    {
        Library = library;
        cublasLtCreate = (delegate* unmanaged<nint*, int>)NativeExports.Require(library, "cublasLtCreate");
        cublasLtDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cublasLtDestroy");
        cublasLtGetVersion = (delegate* unmanaged<nuint>)NativeExports.Require(library, "cublasLtGetVersion");
        cublasLtMatmulDescCreate = (delegate* unmanaged<nint*, int, int, int>)NativeExports.Require(library, "cublasLtMatmulDescCreate");
        cublasLtMatmulDescDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cublasLtMatmulDescDestroy");
        cublasLtMatmulDescSetAttribute = (delegate* unmanaged<nint, int, void*, nuint, int>)NativeExports.Require(library, "cublasLtMatmulDescSetAttribute");
        cublasLtMatrixLayoutCreate = (delegate* unmanaged<nint*, int, ulong, ulong, long, int>)NativeExports.Require(library, "cublasLtMatrixLayoutCreate");
        cublasLtMatrixLayoutDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cublasLtMatrixLayoutDestroy");
        cublasLtMatmulPreferenceCreate = (delegate* unmanaged<nint*, int>)NativeExports.Require(library, "cublasLtMatmulPreferenceCreate");
        cublasLtMatmulPreferenceDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cublasLtMatmulPreferenceDestroy");
        cublasLtMatmulPreferenceSetAttribute = (delegate* unmanaged<nint, int, void*, nuint, int>)NativeExports.Require(library, "cublasLtMatmulPreferenceSetAttribute");
        cublasLtMatmulAlgoGetHeuristic = (delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, int, HeuristicResult*, int*, int>)
            NativeExports.Require(library, "cublasLtMatmulAlgoGetHeuristic");
        cublasLtMatmul = (delegate* unmanaged<nint, nint, void*, void*, nint, void*, nint, void*, void*, nint, void*, nint, Algo*, void*, nuint, nint, int>)
            NativeExports.Require(library, "cublasLtMatmul");
        cublasLtGetStatusName = (delegate* unmanaged<int, byte*>)NativeExports.Require(library, "cublasLtGetStatusName");
        cublasLtGetStatusString = (delegate* unmanaged<int, byte*>)NativeExports.Require(library, "cublasLtGetStatusString");
    }

    public LoadedLibrary Library { get; }

    /// <summary>cublasLtMatmulAlgo_t: 8 opaque 64-bit words.</summary>
    [InlineArray(8)]
    public struct Algo
    {
        private ulong _word;
    }

    /// <summary>cublasLtMatmulHeuristicResult_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct HeuristicResult
    {
        public Algo Algorithm;
        public nuint WorkspaceSize;
        public int State;
        public float WavesCount;
        public Int128 Reserved;   // int reserved[4]
    }

    public readonly delegate* unmanaged<nint*, int> cublasLtCreate;
    public readonly delegate* unmanaged<nint, int> cublasLtDestroy;
    public readonly delegate* unmanaged<nuint> cublasLtGetVersion;
    public readonly delegate* unmanaged<nint*, int, int, int> cublasLtMatmulDescCreate;                 // (desc*, computeType, scaleType)
    public readonly delegate* unmanaged<nint, int> cublasLtMatmulDescDestroy;
    public readonly delegate* unmanaged<nint, int, void*, nuint, int> cublasLtMatmulDescSetAttribute;
    public readonly delegate* unmanaged<nint*, int, ulong, ulong, long, int> cublasLtMatrixLayoutCreate;  // (layout*, type, rows, cols, ld)
    public readonly delegate* unmanaged<nint, int> cublasLtMatrixLayoutDestroy;
    public readonly delegate* unmanaged<nint*, int> cublasLtMatmulPreferenceCreate;
    public readonly delegate* unmanaged<nint, int> cublasLtMatmulPreferenceDestroy;
    public readonly delegate* unmanaged<nint, int, void*, nuint, int> cublasLtMatmulPreferenceSetAttribute;

    /// <summary>(handle, desc, A, B, C, D layouts, preference, requested, results*, returned*).</summary>
    public readonly delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, int, HeuristicResult*, int*, int> cublasLtMatmulAlgoGetHeuristic;

    /// <summary>(handle, desc, alpha*, A, Adesc, B, Bdesc, beta*, C, Cdesc, D, Ddesc, algo*, workspace, workspaceBytes, stream).</summary>
    public readonly delegate* unmanaged<nint, nint, void*, void*, nint, void*, nint, void*, void*, nint, void*, nint, Algo*, void*, nuint, nint, int> cublasLtMatmul;

    public readonly delegate* unmanaged<int, byte*> cublasLtGetStatusName;
    public readonly delegate* unmanaged<int, byte*> cublasLtGetStatusString;

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the status is success (0).</summary>
    public void ThrowIfFailed(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0)
            throw new CudaException("cuBLASLt", call, status, NativeExports.Utf8(cublasLtGetStatusName(status), $"cublasStatus {status}"),
                NativeExports.Utf8(cublasLtGetStatusString(status), ""));
    }
}
