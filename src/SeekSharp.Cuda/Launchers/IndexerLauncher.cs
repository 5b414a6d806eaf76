using SeekSharp.Core;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>Kernels/indexer.cu: the lightning indexer's fp8_index scores (IComputeDevice.IndexScores).</summary>
internal sealed class IndexerLauncher(KernelLibrary library)
{
    private const int KeysPerTile = 64;    // indexer.cu IDX_KEYS_PER_BLOCK (the shared key tile)
    private const int KeysPerBlock = 256;  // × IDX_TILES_PER_BLOCK: q is decoded once per 256 keys
    private const int Threads = 256;       // IDX_THREADS
    private const int RowPad = 4;          // IDX_PAD floats after each shared row
    private const int MaxHeads = 128;      // 16 head lanes × IDX_MAX_HEADS_PER_THREAD
    private const int MaxDim = 256;

    private readonly Lazy<CudaFunction> _scores = new(() => DsaLaunch.Load(library, "indexer.cu", "indexer_scores"));

    /// <summary>
    /// scores[i, s] = keyScales[s]·Σ_h max(0, q8[i,h]·keys[s])·weights[i,h] for s ≤ startPos+i, -inf above;
    /// q8 U8 [tokens, heads, dim], weights F32 [tokens, heads], keys U8 [≥ end, dim], keyScales F32 [≥ end],
    /// scores F32 [tokens, end], end = startPos + tokens.
    /// </summary>
    public void IndexScores(CudaStream stream, CudaBuffer q8, CudaBuffer weights, CudaBuffer keys, CudaBuffer keyScales,
        int tokens, int startPos, int heads, int dim, CudaBuffer scores)
    {
        const string op = "index_scores";
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        DsaLaunch.NotNegative(op, nameof(startPos), startPos);
        if (heads < 1 || heads > MaxHeads) throw new ArgumentOutOfRangeException(nameof(heads), heads, $"{op}: heads must be 1..{MaxHeads}");
        if (dim < 4 || dim > MaxDim || dim % 4 != 0)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dim must be a multiple of 4 in 4..{MaxDim}");
        if (tokens == 0) return;
        DsaLaunch.GridY(op, nameof(tokens), tokens);
        long end = (long)startPos + tokens;
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(startPos), $"{op}: startPos + tokens = {end} exceeds int range");
        DsaLaunch.Codes(op, nameof(q8), q8, (long)tokens * heads * dim);
        DsaLaunch.Check(op, nameof(weights), weights, DType.F32, (long)tokens * heads);
        DsaLaunch.Codes(op, nameof(keys), keys, end * dim);
        DsaLaunch.Check(op, nameof(keyScales), keyScales, DType.F32, end);
        DsaLaunch.Check(op, nameof(scores), scores, DType.F32, tokens * end);

        // shared: q [heads][dim+4] and the key tile [64][dim+4], fp32
        var shared = (heads + KeysPerTile) * (dim + RowPad) * sizeof(float);
        DsaLaunch.SharedFits(library, op, shared);
        var grid = new Dim3(Dim3.Blocks(end, KeysPerBlock), (uint)tokens);
        _scores.Value.Launch(stream, grid, new Dim3(Threads), shared, new KernelArgs()
            .Ptr(q8.Pointer).Ptr(weights.Pointer).Ptr(keys.Pointer).Ptr(keyScales.Pointer).Ptr(scores.Pointer)
            .Int(startPos).Int(heads).Int(dim).Int((int)end));
    }
}

/// <summary>Argument checks and function loading shared by the DSA launchers (indexer, top-k, MLA).</summary>
internal static class DsaLaunch
{
    /// <summary>Loads a kernel and lets it use the device's whole opt-in shared memory per block.</summary>
    public static CudaFunction Load(KernelLibrary library, string file, string name)
    {
        var function = library.Module(file).Function(name);
        // the opt-in limit covers static + dynamic shared memory
        var dynamicLimit = library.Context.MaxSharedMemoryPerBlockOptIn - function.StaticSharedBytes();
        if (dynamicLimit > 48 * 1024) function.SetMaxDynamicSharedBytes(dynamicLimit);
        return function;
    }

    public static void Check(string op, string name, CudaBuffer buffer, DType dtype, long minLength)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.DType != dtype) throw new ArgumentException($"{op}: {name} must be {dtype}, got {buffer.DType}", name);
        Length(op, name, buffer, minLength);
    }

    /// <summary>e4m3 codes: U8 (the contract's dtype) or F8E4M3, one byte each.</summary>
    public static void Codes(string op, string name, CudaBuffer buffer, long minLength)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.DType is not (DType.U8 or DType.F8E4M3))
            throw new ArgumentException($"{op}: {name} must be U8 (e4m3 codes), got {buffer.DType}", name);
        Length(op, name, buffer, minLength);
    }

    public static void Length(string op, string name, CudaBuffer buffer, long minLength)
    {
        if (buffer.Length < minLength)
            throw new ArgumentException($"{op}: {name} has {buffer.Length} elements, needs at least {minLength}", name);
    }

    public static void NotNegative(string op, string name, int value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} must not be negative");
    }

    /// <summary>Values that become gridDim.y (at most 65535).</summary>
    public static void GridY(string op, string name, int value)
    {
        if (value > 65535) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} is at most 65535 per launch");
    }

    public static void SharedFits(KernelLibrary library, string op, int bytes)
    {
        var limit = Math.Max(library.Context.MaxSharedMemoryPerBlockOptIn, 48 * 1024);
        if (bytes > limit)
            throw new ArgumentException($"{op}: needs {bytes} bytes of shared memory per block, the device allows {limit}");
    }
}
