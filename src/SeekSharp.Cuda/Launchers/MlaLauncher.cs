using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>Kernels/mla_attention.cu: MLA over selected keys in MHA (prefill) and absorbed (MQA) form.</summary>
internal sealed class MlaLauncher(KernelLibrary library)
{
    private const int Threads = 256;            // MLA_THREADS
    private const int MaxPerLane = 8;           // prefill: nope + rope ≤ 256, v ≤ 256
    private const int HeadsPerBlock = 8;        // MLA_HG
    private const int MaxLora = 256 * 4;        // MLA_THREADS × MLA_MAX_LORA_PER_THREAD
    private const int MaxScoreChunk = 2048;     // key slots whose scores the absorbed kernel keeps at once

    private readonly Lazy<CudaFunction> _prefill = new(() => library.Module("mla_attention.cu").Function("mla_prefill"));
    private readonly Lazy<CudaFunction> _absorbed = new(() => DsaLaunch.Load(library, "mla_attention.cu", "mla_absorbed"));
    private Lazy<int> _absorbedStaticShared => field ??= new(() => _absorbed.Value.StaticSharedBytes());

    /// <summary>
    /// MHA form for a prompt at positions 0..tokens-1: q F32 [tokens, heads, nope+rope], kvb F32 [tokens, heads, nope+v],
    /// ropeKeys F32 [≥ tokens, rope], indices I32 [tokens, indexWidth] (-1 unused) or null (keys 0..i),
    /// output F32 [tokens, heads, v].
    /// </summary>
    public void MlaPrefill(CudaStream stream, CudaBuffer q, CudaBuffer kvb, CudaBuffer ropeKeys, CudaBuffer? indices,
        int indexWidth, int tokens, MlaShape shape, CudaBuffer output)
    {
        const string op = "mla_prefill";
        CheckShape(op, shape);
        if (shape.QkDim > 32 * MaxPerLane) throw new ArgumentException($"{op}: nope + rope = {shape.QkDim} exceeds {32 * MaxPerLane}", nameof(shape));
        if (shape.V > 32 * MaxPerLane) throw new ArgumentException($"{op}: v = {shape.V} exceeds {32 * MaxPerLane}", nameof(shape));
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        if (tokens == 0) return;
        DsaLaunch.GridY(op, nameof(tokens), tokens);
        long rows = (long)tokens * shape.Heads;
        DsaLaunch.Check(op, nameof(q), q, DType.F32, rows * shape.QkDim);
        DsaLaunch.Check(op, nameof(kvb), kvb, DType.F32, rows * shape.KvBDim);
        DsaLaunch.Check(op, nameof(ropeKeys), ropeKeys, DType.F32, (long)tokens * shape.Rope);
        CheckIndices(op, indices, indexWidth, tokens);
        DsaLaunch.Check(op, nameof(output), output, DType.F32, rows * shape.V);

        // one block per (head, token), static shared only
        _prefill.Value.Launch(stream, new Dim3((uint)shape.Heads, (uint)tokens), new Dim3(Threads), 0, new KernelArgs()
            .Ptr(q.Pointer).Ptr(kvb.Pointer).Ptr(ropeKeys.Pointer).Ptr(indices?.Pointer ?? 0).Ptr(output.Pointer)
            .Int(indexWidth).Int(shape.Heads).Int(shape.Nope).Int(shape.Rope).Int(shape.V).Float(shape.SoftmaxScale));
    }

    /// <summary>
    /// Absorbed form for queries at positions startPos+i: q F32 [tokens, heads, nope+rope], wkvb F32 [heads, nope+v, kvLora],
    /// latent F32 [≥ end, kvLora], ropeKeys F32 [≥ end, rope], indices I32 [tokens, indexWidth] or null (keys 0..startPos+i),
    /// output F32 [tokens, heads, v]; end = startPos + tokens.
    /// </summary>
    public void MlaAbsorbed(CudaStream stream, CudaBuffer q, CudaBuffer wkvb, CudaBuffer latent, CudaBuffer ropeKeys,
        CudaBuffer? indices, int indexWidth, int tokens, int startPos, MlaShape shape, CudaBuffer output)
    {
        const string op = "mla_absorbed";
        CheckShape(op, shape);
        if (shape.KvLora > MaxLora) throw new ArgumentException($"{op}: kvLora = {shape.KvLora} exceeds {MaxLora}", nameof(shape));
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        DsaLaunch.NotNegative(op, nameof(startPos), startPos);
        if (tokens == 0) return;
        DsaLaunch.GridY(op, nameof(tokens), tokens);
        long end = (long)startPos + tokens;
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(startPos), $"{op}: startPos + tokens = {end} exceeds int range");
        long rows = (long)tokens * shape.Heads;
        DsaLaunch.Check(op, nameof(q), q, DType.F32, rows * shape.QkDim);
        DsaLaunch.Check(op, nameof(wkvb), wkvb, DType.F32, (long)shape.Heads * shape.KvBDim * shape.KvLora);
        DsaLaunch.Check(op, nameof(latent), latent, DType.F32, end * shape.KvLora);
        DsaLaunch.Check(op, nameof(ropeKeys), ropeKeys, DType.F32, end * shape.Rope);
        CheckIndices(op, indices, indexWidth, tokens);
        DsaLaunch.Check(op, nameof(output), output, DType.F32, rows * shape.V);

        // shared floats: q̂ [8][kvLora+rope] | o_lat [8][max(kvLora, nope)] | scores [chunk][8]; the chunk of key slots
        // scored at once is the longest key list (≤ 2048), shrunk if the device's shared memory is smaller
        var fixedFloats = HeadsPerBlock * ((long)shape.KvLora + shape.Rope + Math.Max(shape.KvLora, shape.Nope));
        long keys = indices is null ? end : indexWidth;
        var limit = Math.Max(library.Context.MaxSharedMemoryPerBlockOptIn, 48 * 1024) - _absorbedStaticShared.Value;
        var room = limit / sizeof(float) - fixedFloats;
        var chunk = (int)Math.Min(Math.Min(Math.Max(keys, 1), MaxScoreChunk), room / HeadsPerBlock);
        if (chunk < 1)
            throw new ArgumentException($"{op}: kvLora {shape.KvLora}, rope {shape.Rope} need more shared memory than the device's {limit} bytes", nameof(shape));
        var shared = checked((int)((fixedFloats + (long)HeadsPerBlock * chunk) * sizeof(float)));

        var grid = new Dim3((uint)((shape.Heads + HeadsPerBlock - 1) / HeadsPerBlock), (uint)tokens);
        _absorbed.Value.Launch(stream, grid, new Dim3(Threads), shared, new KernelArgs()
            .Ptr(q.Pointer).Ptr(wkvb.Pointer).Ptr(latent.Pointer).Ptr(ropeKeys.Pointer).Ptr(indices?.Pointer ?? 0).Ptr(output.Pointer)
            .Int(indexWidth).Int(startPos).Int(shape.Heads).Int(shape.Nope).Int(shape.Rope).Int(shape.V).Int(shape.KvLora)
            .Int(chunk).Float(shape.SoftmaxScale));
    }

    private static void CheckShape(string op, MlaShape shape)
    {
        if (shape.Heads < 1 || shape.Nope < 1 || shape.Rope < 0 || shape.V < 1 || shape.KvLora < 1)
            throw new ArgumentException($"{op}: invalid shape {shape}", nameof(shape));
    }

    private static void CheckIndices(string op, CudaBuffer? indices, int indexWidth, int tokens)
    {
        if (indices is null) return;
        DsaLaunch.NotNegative(op, nameof(indexWidth), indexWidth);
        DsaLaunch.Check(op, nameof(indices), indices, DType.I32, (long)tokens * indexWidth);
    }
}
