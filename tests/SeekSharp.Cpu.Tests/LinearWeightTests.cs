using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SeekSharp.Core;
using SeekSharp.Core.Backend;

namespace SeekSharp.Cpu.Tests;

public unsafe class LinearWeightTests
{
    private static readonly float[] s_twoByTwoScales = new float[4];

    /// <summary>Some pinned memory to point weights at (the contents do not matter to validation).</summary>
    private static readonly float[] s_pinned = GC.AllocateArray<float>(16, pinned: true);

    private static nint Address => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_pinned));

    [Fact]
    public void Fp8RequiresScaleInvOfExactlyTheBlockGridSize()
    {
        var ok = LinearWeight.FromPointer("w", DType.F8E4M3, 129, 257, Address, new float[2 * 3], owner: null);
        Assert.Equal(2, ok.OutBlocks);
        Assert.Equal(3, ok.InBlocks);
        Assert.Throws<ArgumentNullException>(() => LinearWeight.FromPointer("w", DType.F8E4M3, 129, 257, Address, null, null));
        var wrong = Assert.Throws<ArgumentException>(() =>
            LinearWeight.FromPointer("layers.0.wq", DType.F8E4M3, 129, 257, Address, new float[2 * 2], null));
        Assert.Contains("layers.0.wq", wrong.Message);
        Assert.Contains("expected 6", wrong.Message);
    }

    [Fact]
    public void DenseWeightsRejectScalesAndOtherDTypesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => LinearWeight.FromPointer("w", DType.BF16, 2, 2, Address, s_twoByTwoScales[..1], null));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromPointer("w", DType.F32, 2, 2, Address, s_twoByTwoScales[..1], null));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromPointer("w", DType.F16, 2, 2, Address, null, null));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromPointer("w", DType.I32, 2, 2, Address, null, null));
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(4, 0)]
    [InlineData(-1, 4)]
    public void ShapeMustBePositive(int outFeatures, int inFeatures)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            LinearWeight.FromPointer("w", DType.F32, outFeatures, inFeatures, Address, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearWeight.FromArray("w", [], outFeatures, inFeatures));
    }

    [Fact]
    public void NullPointerAndNullNameAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => LinearWeight.FromPointer("w", DType.F32, 1, 1, 0, null, null));
        Assert.Throws<ArgumentNullException>(() => LinearWeight.FromArray(null!, [1f], 1, 1));
    }

    [Fact]
    public void ManagedFactoriesCheckLengthAndCopyIntoPinnedMemory()
    {
        Assert.Throws<ArgumentException>(() => LinearWeight.FromArray("w", new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromBf16("w", new ushort[7], 2, 3));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromFp8("w", new byte[6], new float[2], 2, 3));

        var values = new float[] { 1, 2, 3, 4, 5, 6 };
        var w = LinearWeight.FromArray("w", values, 2, 3);
        values[0] = 100f; // the weight holds its own copy
        GC.Collect();
        GC.Collect(); // a compacting collection must not move it
        Assert.Equal(1f, ((float*)w.Data)[0]);
        Assert.Equal(6f, ((float*)w.Data)[5]);
        Assert.NotNull(w.Owner);
        Assert.Equal(DType.F32, w.DType);
        Assert.Equal(24L, w.ByteSize);
        Assert.Null(w.ScaleInv);

        var scales = new float[] { 0.5f };
        var fp8 = LinearWeight.FromFp8("f", [0x38, 0x40], scales, 1, 2);
        scales[0] = 9f;
        Assert.Equal(0.5f, fp8.ScaleInv![0]);
        Assert.Equal(2L, fp8.ByteSize);
        Assert.Equal("f F8E4M3 [1, 2]", fp8.ToString());
    }

    [Fact]
    public void BackendsNameTheWeightWhenSpansAreTooShort()
    {
        var w = LinearWeight.FromArray("model.layers.3.mlp.up", new float[6], 2, 3);
        using var cpu = new CpuBackend(threads: 2);
        using var scalar = new ScalarBackend();
        foreach (IBackend backend in new IBackend[] { cpu, scalar })
        {
            var shortX = Assert.Throws<ArgumentException>(() => backend.Linear(w, new float[5], 2, new float[4]));
            Assert.Contains("model.layers.3.mlp.up", shortX.Message);
            Assert.Equal("x", shortX.ParamName);
            var shortY = Assert.Throws<ArgumentException>(() => backend.Linear(w, new float[6], 2, new float[3]));
            Assert.Equal("y", shortY.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.Linear(w, new float[6], -1, new float[4]));
        }
    }
}
