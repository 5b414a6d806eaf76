namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// One SIMD register of fp32 lanes, as an operator struct: the kernels are written once against this interface
/// and the JIT specialises them for <see cref="ScalarFloat"/> (1 lane), <see cref="Vector256Float"/> (8 lanes)
/// and <see cref="Vector512Float"/> (16 lanes). Every load reads exactly <see cref="Count"/> elements.
/// </summary>
internal unsafe interface ISimdFloat<TSelf> where TSelf : unmanaged, ISimdFloat<TSelf>
{
    /// <summary>Lanes per register.</summary>
    static abstract int Count { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf Load(float* source);

    /// <summary>Count e4m3 codes decoded to fp32 (see <see cref="Fp8Decode"/>).</summary>
    static abstract TSelf LoadFp8(byte* source);

    /// <summary>4·Count e4m3 codes decoded into four registers (wider decoders than <see cref="LoadFp8"/> plug in here).</summary>
    static abstract void LoadFp8x4(byte* source, out TSelf v0, out TSelf v1, out TSelf v2, out TSelf v3);

    /// <summary>Count bf16 values widened to fp32.</summary>
    static abstract TSelf LoadBf16(ushort* source);

    static abstract void Store(float* destination, TSelf value);

    /// <summary>a·b + addend (fused where the hardware has FMA).</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf addend);

    static abstract TSelf Add(TSelf a, TSelf b);

    /// <summary>Sum of the lanes.</summary>
    static abstract float Sum(TSelf value);

    /// <summary>destination[0..4) = the lane sums of a, b, c, d (one transposing reduction instead of four).</summary>
    static abstract void Sum4(TSelf a, TSelf b, TSelf c, TSelf d, float* destination);
}
