using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Tests;

/// <summary>cuLaunchKernelEx's structs have cuda.h's layout (CUDA 12 and 13, 64-bit); no GPU needed.</summary>
public sealed class LaunchConfigLayoutTests
{
    [Fact]
    public void AnAttributeIsItsIdPaddedTo8BytesThenA64ByteUnion()
    {
        Assert.Equal(72, Unsafe.SizeOf<CuLaunchAttribute>());
        Assert.Equal(72, Marshal.SizeOf<CuLaunchAttribute>());
        Assert.Equal(0, Marshal.OffsetOf<CuLaunchAttribute>(nameof(CuLaunchAttribute.Id)));
        Assert.Equal(8, Marshal.OffsetOf<CuLaunchAttribute>(nameof(CuLaunchAttribute.IntValue)));
        Assert.Equal(6, CuLaunchAttribute.ProgrammaticStreamSerialization);

        var attribute = CuLaunchAttribute.Int(CuLaunchAttribute.ProgrammaticStreamSerialization, 1);
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<CuLaunchAttribute>(ref attribute)).ToArray();
        var expected = new byte[72];
        expected[0] = 6;   // id
        expected[8] = 1;   // value.programmaticStreamSerializationAllowed, the rest of the union zero
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void AnAttributeIs8ByteAlignedLikeTheUnionsPointers()
    {
        var probe = new AlignmentProbe();
        var offset = Unsafe.ByteOffset(ref probe.Before, ref Unsafe.As<CuLaunchAttribute, byte>(ref probe.Attribute));
        Assert.Equal(8, offset);
    }

    [Fact]
    public void TheConfigHasSevenUintsThenStreamAttributesAndCount()
    {
        Assert.Equal(56, Unsafe.SizeOf<CuLaunchConfig>());
        Assert.Equal(56, Marshal.SizeOf<CuLaunchConfig>());
        string[] uints = [nameof(CuLaunchConfig.GridDimX), nameof(CuLaunchConfig.GridDimY), nameof(CuLaunchConfig.GridDimZ),
            nameof(CuLaunchConfig.BlockDimX), nameof(CuLaunchConfig.BlockDimY), nameof(CuLaunchConfig.BlockDimZ),
            nameof(CuLaunchConfig.SharedMemBytes)];
        for (var i = 0; i < uints.Length; i++) Assert.Equal(4 * i, Marshal.OffsetOf<CuLaunchConfig>(uints[i]));
        Assert.Equal(32, Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.Stream)));
        Assert.Equal(40, Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.Attributes)));
        Assert.Equal(48, Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.AttributeCount)));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct AlignmentProbe
    {
        public byte Before;
        public CuLaunchAttribute Attribute;
    }
}
