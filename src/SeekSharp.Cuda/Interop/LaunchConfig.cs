using System.Runtime.InteropServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>
/// CUlaunchAttribute (cuda.h, CUDA 12 and 13): the attribute id, padding to 8 bytes, then CUlaunchAttributeValue, a
/// 64-byte union. 72 bytes, 8-byte aligned (the union holds pointers).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
public struct CuLaunchAttribute
{
    /// <summary>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: value.programmaticStreamSerializationAllowed (int).</summary>
    public const int ProgrammaticStreamSerialization = 6;

    /// <summary>CUlaunchAttributeID.</summary>
    [FieldOffset(0)] public int Id;

    /// <summary>The union's int members (programmaticStreamSerializationAllowed, cooperative, priority) sit at its start.</summary>
    [FieldOffset(8)] public int IntValue;

    // never read or written: overlaps IntValue to give the struct the union's 8-byte alignment, as in C
    [FieldOffset(8)] private readonly ulong _alignment;

    /// <summary>An attribute whose value is one int (the rest of the union zero).</summary>
    public static CuLaunchAttribute Int(int id, int value) => new() { Id = id, IntValue = value };
}

/// <summary>
/// CUlaunchConfig (cuda.h, CUDA 12 and 13), the first argument of cuLaunchKernelEx: grid and block sizes, dynamic shared
/// bytes, the stream, and an array of <see cref="CuLaunchAttribute"/>. Offsets are the 64-bit ABI's (the only one CUDA
/// ships for): the stream pointer is aligned to 8 after seven uints, 56 bytes in all.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
public unsafe struct CuLaunchConfig
{
    [FieldOffset(0)] public uint GridDimX;
    [FieldOffset(4)] public uint GridDimY;
    [FieldOffset(8)] public uint GridDimZ;
    [FieldOffset(12)] public uint BlockDimX;
    [FieldOffset(16)] public uint BlockDimY;
    [FieldOffset(20)] public uint BlockDimZ;
    [FieldOffset(24)] public uint SharedMemBytes;

    /// <summary>CUstream hStream.</summary>
    [FieldOffset(32)] public nint Stream;

    /// <summary>CUlaunchAttribute* attrs.</summary>
    [FieldOffset(40)] public CuLaunchAttribute* Attributes;

    /// <summary>unsigned int numAttrs.</summary>
    [FieldOffset(48)] public uint AttributeCount;
}
