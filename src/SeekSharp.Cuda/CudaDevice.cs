using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Compilation;
using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Launchers;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda;

/// <summary>
/// <see cref="IComputeDevice"/> on one NVIDIA GPU: buffers in device memory from a caching allocator, every op a kernel
/// (or cuBLAS call) queued on one stream in issue order, host transfers through pinned staging. Not thread-safe: one
/// caller at a time, like the model's forward pass. Create with <see cref="Create"/>, which says why when it cannot.
/// </summary>
public sealed unsafe partial class CudaDevice : IComputeDevice
{
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly CachingAllocator _allocator;
    private readonly StagedTransfers _transfers;
    private readonly KernelLibrary _kernels;
    private readonly CublasGemm _gemm;
    private readonly ElementwiseLauncher _elementwise;
    private readonly NormLauncher _norm;
    private readonly RotaryLauncher _rotary;
    private readonly QuantLauncher _quant;
    private readonly SamplingLauncher _sampling;
    private readonly MoeRouteLauncher _moe;
    private readonly MoeGroupedLauncher _moeGrouped;
    private readonly Fp8GemmLauncher _fp8;
    private readonly CublasLtFp8Gemm? _fp8Library;   // null: no cuBLASLt
    private readonly LinearLauncher _linear;
    private readonly CudaBuffer _errorFlag;   // I32 [4]: (set, index, id) of the first out-of-range embedding id
    private bool _errorFlagArmed;
    private int _embedVocab;
    private bool _disposed;

    private CudaDevice(CudaContext context, KernelCompiler compiler, Cublas cublas, List<IDisposable> created)
    {
        _context = context;
        _stream = Track(created, new CudaStream(context));
        _allocator = Track(created, new CachingAllocator(context));
        _transfers = Track(created, new StagedTransfers(context, _stream));
        _kernels = Track(created, new KernelLibrary(context, compiler));
        _gemm = Track(created, new CublasGemm(cublas, context, _stream));
        _elementwise = new ElementwiseLauncher(_kernels, _stream);
        _norm = new NormLauncher(_kernels, _stream);
        _rotary = new RotaryLauncher(_kernels, _stream);
        _quant = new QuantLauncher(_kernels, _stream);
        _sampling = new SamplingLauncher(_kernels, _stream);
        _moe = new MoeRouteLauncher(_kernels, _stream);
        _moeGrouped = new MoeGroupedLauncher(_kernels, _stream);
        _fp8 = new Fp8GemmLauncher(_kernels, _stream, Scratch);
        _fp8Library = CudaLibraries.TryCublasLt(out _) is { } lt ? Track(created, new CublasLtFp8Gemm(lt, context, _stream, _elementwise, Scratch)) : null;
        LibraryFp8Gemm = Environment.GetEnvironmentVariable("SEEKSHARP_FP8_GEMM") == "cublaslt";
        _linear = new LinearLauncher(_gemm, _elementwise, _quant, _fp8, _fp8Library, Scratch);
        _errorFlag = (CudaBuffer)Allocate(DType.I32, 4);
    }

    /// <summary>
    /// Opens GPU <paramref name="ordinal"/> (default: <c>SEEKSHARP_CUDA_DEVICE</c> or 0). Throws
    /// <see cref="InvalidOperationException"/> with <see cref="CudaAvailability"/>'s sentence when CUDA cannot run here.
    /// Kernels compile on first use into <paramref name="kernelCacheDirectory"/> (default: <see cref="KernelCompiler.DefaultCacheDirectory"/>).
    /// </summary>
    public static CudaDevice Create(int? ordinal = null, string? kernelCacheDirectory = null)
    {
        var index = ordinal ?? CudaContext.DefaultOrdinal();
        var probe = ordinal is null ? CudaAvailability.Default : CudaAvailability.Probe(ordinal: index);
        if (!probe.IsAvailable) throw new InvalidOperationException(probe.Reason);
        var created = new List<IDisposable>();
        try
        {
            var context = Track(created, CudaContext.Create(CudaLibraries.Driver, index));
            var compiler = new KernelCompiler(CudaLibraries.Nvrtc, kernelCacheDirectory ?? KernelCompiler.DefaultCacheDirectory());
            return new CudaDevice(context, compiler, CudaLibraries.Cublas, created);
        }
        catch
        {
            for (var i = created.Count - 1; i >= 0; i--) created[i].Dispose();
            throw;
        }
    }

    public string Name => $"cuda:{_context.Ordinal} {_context.Name}";

    /// <summary>
    /// BF16: the latent cache and wkv_b hold bf16 values already, so half the bytes keep them exactly; the MLA kernels read
    /// cache rows in place and cuBLAS multiplies wkv_b as bf16. SEEKSHARP_KV_CACHE=f32 keeps F32 (for A/B timing).
    /// </summary>
    public DType Bf16StorageType { get; } = Environment.GetEnvironmentVariable("SEEKSHARP_KV_CACHE") == "f32" ? DType.F32 : DType.BF16;

    /// <summary>Whether cuBLASLt was found, so <see cref="LibraryFp8Gemm"/> can be turned on.</summary>
    public bool HasLibraryFp8Gemm => _fp8Library is not null;

    /// <summary>
    /// Opt-in (SEEKSHARP_FP8_GEMM=cublaslt): FP8 linears of prefill size (64+ rows) through cuBLASLt's block-scaled GEMM,
    /// ~2× our warpgroup kernels on the H200 (~3.5× the mma.sync ones) but less exact: its tensor-core sums inside a
    /// 128-wide K block keep fewer bits, and the tiny FP8 golden model's forced prefill then reaches 84 % argmax agreement
    /// against the bar of 93 % (BENCHMARKS.md). Off by default: the model's own outputs come first.
    /// </summary>
    public bool LibraryFp8Gemm
    {
        get => _fp8Library?.Enabled ?? false;
        set
        {
            if (value && _fp8Library is null) throw new InvalidOperationException($"{Name}: no cuBLASLt was found, so its FP8 GEMM cannot be used");
            if (_fp8Library is not null) _fp8Library.Enabled = value;
        }
    }

    /// <summary>How FP8 linears of prefill size run: our kernels, or cuBLASLt's block-scaled GEMM (and the shapes it refused).</summary>
    public string Fp8GemmPath => LibraryFp8Gemm ? _fp8Library!.Describe() : "our FP8 tensor-core kernels (cuBLASLt block-scaled GEMM off; SEEKSHARP_FP8_GEMM=cublaslt turns it on)";

    public CudaContext Context => _context;

    public CudaStream Stream => _stream;

    public KernelLibrary Kernels => _kernels;

    public CachingAllocator Allocator => _allocator;

    // ---- memory ----

    public DeviceBuffer Allocate(DType dtype, long length)
    {
        var buffer = Scratch(dtype, length);
        try
        {
            if (buffer.ByteSize == 0) return buffer;
            _context.MakeCurrent();
            _context.Driver.ThrowIfFailed(_context.Driver.cuMemsetD8Async(buffer.Pointer, 0, (nuint)buffer.ByteSize, _stream.Handle));
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public unsafe void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset = 0) where T : unmanaged
    {
        var dst = Checked<T>(destination, offset, source.Length, "upload", nameof(destination));
        fixed (T* p = source) _transfers.Upload(p, dst.At(offset), (long)source.Length * sizeof(T));
    }

    public unsafe void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged
    {
        var src = Checked<T>(source, offset, destination.Length, "download", nameof(source));
        fixed (T* p = destination) _transfers.Download(src.At(offset), p, (long)destination.Length * sizeof(T));
        ThrowDeviceErrors();
    }

    public void Copy(DeviceBuffer source, long sourceOffset, DeviceBuffer destination, long destinationOffset, long count)
    {
        const string op = "copy";
        LaunchChecks.NonNegative(sourceOffset, op, nameof(sourceOffset));
        LaunchChecks.NonNegative(destinationOffset, op, nameof(destinationOffset));
        LaunchChecks.NonNegative(count, op, nameof(count));
        var src = LaunchChecks.Buffer(source, source.DType, sourceOffset + count, op, nameof(source));
        var dst = LaunchChecks.Buffer(destination, destination.DType, destinationOffset + count, op, nameof(destination));
        if (src.DType.SizeOf() != dst.DType.SizeOf()) throw new ArgumentException($"copy from {source} to {destination}: element sizes differ");
        if (count == 0) return;
        _context.MakeCurrent();
        _context.Driver.ThrowIfFailed(_context.Driver.cuMemcpyDtoDAsync(dst.At(destinationOffset), src.At(sourceOffset),
            (nuint)(count * src.DType.SizeOf()), _stream.Handle));
    }

    public unsafe DeviceLinear UploadLinear(LinearWeight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var data = Scratch(weight.DType, (long)weight.Out * weight.In);   // fully written below
        CudaBuffer? scales = null;
        try
        {
            _transfers.Upload((void*)weight.Data, data.Pointer, weight.ByteSize);
            if (weight.ScaleInv is { } scaleInv)
            {
                scales = Scratch(DType.F32, scaleInv.Length);
                Upload<float>(scaleInv, scales);
            }
            return new CudaLinear(weight.Name, weight.DType, weight.Out, weight.In, data, scales);
        }
        catch
        {
            data.Dispose();
            scales?.Dispose();
            throw;
        }
    }

    public void Synchronize()
    {
        _stream.Synchronize();
        ThrowDeviceErrors();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Wait for queued work so no kernel still uses memory we free; a failure here must not stop the cleanup.
        try { _stream.Synchronize(); } catch (CudaException) { }
        _errorFlag.Dispose();
        _fp8Library?.Dispose();
        _gemm.Dispose();
        _kernels.Dispose();
        _transfers.Dispose();
        _allocator.Dispose();
        _stream.Dispose();
        _context.Dispose();
    }

    public override string ToString() => Name;

    /// <summary>An uninitialised buffer from the caching allocator (for temporaries that are written before read).</summary>
    private CudaBuffer Scratch(DType dtype, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new CudaBuffer(_allocator, dtype, length);
    }

    private static unsafe CudaBuffer Checked<T>(DeviceBuffer buffer, long offset, int count, string op, string argument) where T : unmanaged
    {
        var cuda = LaunchChecks.Buffer(buffer, buffer.DType, 0, op, argument);
        if (sizeof(T) != cuda.DType.SizeOf())
            throw new ArgumentException($"{op}: {typeof(T).Name} is {sizeof(T)} bytes, {buffer} has {cuda.DType.SizeOf()}-byte elements", argument);
        if (offset < 0 || offset + count > cuda.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{op}: elements [{offset}, {offset + count}) outside a buffer of {cuda.Length}");
        return cuda;
    }

    /// <summary>Throws what a kernel reported through the error flag (an embedding id outside the vocabulary), then clears it.</summary>
    private unsafe void ThrowDeviceErrors()
    {
        if (!_errorFlagArmed) return;
        _errorFlagArmed = false;
        Span<int> flag = stackalloc int[3];
        fixed (int* p = flag) _transfers.Download(_errorFlag.Pointer, p, 3 * sizeof(int));
        if (flag[0] == 0) return;
        _context.Driver.ThrowIfFailed(_context.Driver.cuMemsetD8Async(_errorFlag.Pointer, 0, 16, _stream.Handle));
        throw new ArgumentOutOfRangeException("ids", $"embed: token id {flag[2]} at index {flag[1]} is outside the vocabulary (0..{_embedVocab - 1})");
    }

    private static T Track<T>(List<IDisposable> created, T item) where T : IDisposable
    {
        created.Add(item);
        return item;
    }
}
