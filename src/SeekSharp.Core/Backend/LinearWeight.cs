using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SeekSharp.Core.Backend;

/// <summary>
/// A weight matrix W [Out, In], row-major, in host memory the backends read in place (no copy): typically a
/// tensor inside a memory-mapped safetensors file, kept alive through <see cref="Owner"/>.
/// F8E4M3 weights carry their block dequantisation multipliers <see cref="ScaleInv"/>
/// [ceil(Out/128), ceil(In/128)]: W_real[r, c] = fp32(W[r, c]) · ScaleInv[r/128, c/128].
/// </summary>
public sealed unsafe class LinearWeight
{
    /// <summary>Height and width of one FP8 scale block (rows of W and columns of W).</summary>
    public const int BlockSize = 128;

    private LinearWeight(string name, DType dtype, int outFeatures, int inFeatures, nint data,
        float[]? scaleInv, object? owner)
    {
        Name = name;
        DType = dtype;
        Out = outFeatures;
        In = inFeatures;
        Data = data;
        ScaleInv = scaleInv;
        Owner = owner;
    }

    /// <summary>Tensor name, used in error messages.</summary>
    public string Name { get; }

    /// <summary>F8E4M3, BF16 or F32.</summary>
    public DType DType { get; }

    /// <summary>Output features (rows of W).</summary>
    public int Out { get; }

    /// <summary>Input features (columns of W).</summary>
    public int In { get; }

    /// <summary>Address of W[0, 0]; the memory belongs to <see cref="Owner"/>.</summary>
    public nint Data { get; }

    /// <summary>FP8 block scales [ceil(Out/128), ceil(In/128)] row-major; null for BF16 and F32.</summary>
    public float[]? ScaleInv { get; }

    /// <summary>Whatever keeps <see cref="Data"/> valid (a mapped file, a pinned array), or null.</summary>
    public object? Owner { get; }

    /// <summary>Number of 128-wide column blocks (the second dimension of <see cref="ScaleInv"/>).</summary>
    public int InBlocks => CeilDiv(In, BlockSize);

    /// <summary>Number of 128-high row blocks (the first dimension of <see cref="ScaleInv"/>).</summary>
    public int OutBlocks => CeilDiv(Out, BlockSize);

    /// <summary>Bytes of W itself (what one full pass over the weight reads; scales not included).</summary>
    public long ByteSize => (long)Out * In * DType.SizeOf();

    /// <summary>
    /// Wraps memory owned elsewhere. FP8 requires <paramref name="scaleInv"/> of exactly
    /// ceil(out/128)·ceil(in/128) elements; BF16 and F32 require it to be null.
    /// </summary>
    public static LinearWeight FromPointer(string name, DType dtype, int outFeatures, int inFeatures, nint data,
        float[]? scaleInv, object? owner)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (dtype is not (DType.F8E4M3 or DType.BF16 or DType.F32))
            throw new ArgumentException($"{name}: linear weights must be F8E4M3, BF16 or F32, not {dtype}", nameof(dtype));
        if (outFeatures <= 0 || inFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(outFeatures), $"{name}: shape [{outFeatures}, {inFeatures}] must be positive");
        if (data == 0)
            throw new ArgumentNullException(nameof(data), $"{name}: data pointer is null");
        if (dtype == DType.F8E4M3)
        {
            if (scaleInv is null)
                throw new ArgumentNullException(nameof(scaleInv), $"{name}: an F8E4M3 weight needs scale_inv");
            long expected = (long)CeilDiv(outFeatures, BlockSize) * CeilDiv(inFeatures, BlockSize);
            if (scaleInv.Length != expected)
            {
                throw new ArgumentException(
                    $"{name}: scale_inv has {scaleInv.Length} elements, expected {expected} for [{outFeatures}, {inFeatures}]",
                    nameof(scaleInv));
            }
        }
        else if (scaleInv is not null)
        {
            throw new ArgumentException($"{name}: only F8E4M3 weights take scale_inv, not {dtype}", nameof(scaleInv));
        }
        return new LinearWeight(name, dtype, outFeatures, inFeatures, data, scaleInv, owner);
    }

    /// <summary>An F32 weight from values [out, in], copied into a pinned array the weight owns.</summary>
    public static LinearWeight FromArray(string name, float[] values, int outFeatures, int inFeatures) =>
        FromManaged(name, DType.F32, values, outFeatures, inFeatures, null);

    /// <summary>A BF16 weight from raw bf16 bits [out, in], copied into a pinned array the weight owns.</summary>
    public static LinearWeight FromBf16(string name, ushort[] bits, int outFeatures, int inFeatures) =>
        FromManaged(name, DType.BF16, bits, outFeatures, inFeatures, null);

    /// <summary>
    /// An F8E4M3 weight from e4m3 codes [out, in] and scale_inv [ceil(out/128), ceil(in/128)], both copied.
    /// </summary>
    public static LinearWeight FromFp8(string name, byte[] codes, float[] scaleInv, int outFeatures, int inFeatures)
    {
        ArgumentNullException.ThrowIfNull(scaleInv);
        return FromManaged(name, DType.F8E4M3, codes, outFeatures, inFeatures, (float[])scaleInv.Clone());
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {DType} [{Out}, {In}]";

    private static LinearWeight FromManaged<T>(string name, DType dtype, T[] values, int outFeatures, int inFeatures,
        float[]? scaleInv) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        if (outFeatures <= 0 || inFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(outFeatures), $"{name}: shape [{outFeatures}, {inFeatures}] must be positive");
        if (values.Length != (long)outFeatures * inFeatures)
        {
            throw new ArgumentException(
                $"{name}: {values.Length} values do not fill [{outFeatures}, {inFeatures}]", nameof(values));
        }
        // The pinned object heap never moves the copy, so the raw pointer stays valid while the weight lives.
        var pinned = GC.AllocateUninitializedArray<T>(values.Length, pinned: true);
        values.AsSpan().CopyTo(pinned);
        var data = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return FromPointer(name, dtype, outFeatures, inFeatures, data, scaleInv, pinned);
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
