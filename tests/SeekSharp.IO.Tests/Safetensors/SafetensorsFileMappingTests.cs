using SeekSharp.Core;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>Lifetime of the mapping, pointer views and tensors larger than a span can hold.</summary>
public sealed class SafetensorsFileMappingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void NothingCanBeReadAfterDispose()
    {
        var path = _temp.File("t.safetensors");
        SafetensorsWriter.Write(path, [new("w", DType.F32, [2], new byte[8])]);
        var file = SafetensorsFile.Open(path);
        Assert.Equal(8, file.GetBytes("w").Length);
        file.Dispose();
        file.Dispose();   // idempotent

        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("w"));
        Assert.Throws<ObjectDisposedException>(() => file.GetSpan<float>("w"));
        Assert.Throws<ObjectDisposedException>(() => file.GetView("w"));
        Assert.Throws<ObjectDisposedException>(() => PointerOf(file, "w"));
        Assert.Equal([2L], file.GetInfo("w").Shape);   // the header stays readable
    }

    [Fact]
    public void ViewAndPointerSeeTheSameBytesAsTheSpan()
    {
        var data = RawSafetensors.Counting(40);
        var path = _temp.File("t.safetensors");
        SafetensorsWriter.Write(path, [new("pad", DType.U8, [3], new byte[3]), new("w", DType.I32, [10], data)]);
        using var file = SafetensorsFile.Open(path);

        var view = file.GetView("w");
        Assert.Equal(40, view.ByteLength);
        Assert.Equal("w", view.Info.Name);
        Assert.Equal(data[5..17], view.Slice(5, 12).ToArray());
        Assert.Equal(data, view.Slice(0, 40).ToArray());
        Assert.Equal(PointerOf(file, "w"), ViewPointer(view));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.Slice(30, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.Slice(-1, 2));
        Assert.Throws<InvalidOperationException>(() => default(TensorView).Slice(0, 0));
    }

    [Fact]
    public void TensorsOverTwoGigabytesNeedAView()
    {
        // A sparse 3 GB file: the header is real, the data is a hole of zeros the OS never allocates.
        const long length = 3_000_000_000;
        var header = $"{{\"big\":{{\"dtype\":\"U8\",\"shape\":[{length}],\"data_offsets\":[0,{length}]}}," +
                     "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[3000000000,3000000004]}}";
        var path = _temp.WriteBytes("big.safetensors", RawSafetensors.Build(header, []));
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength(stream.Length + length + 4);
            stream.Seek(-4, SeekOrigin.End);
            stream.Write(BitConverter.GetBytes(2.5f));
        }

        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<InvalidOperationException>(() => file.GetBytes("big"));
        Assert.Contains("big.safetensors", e.Message);
        Assert.Contains("'big'", e.Message);
        Assert.Throws<InvalidOperationException>(() => file.GetSpan<byte>("big"));

        var view = file.GetView("big");
        Assert.Equal(length, view.ByteLength);
        Assert.Equal(new byte[16], view.Slice(length - 16, 16).ToArray());
        Assert.Equal(2.5f, file.GetSpan<float>("f")[0]);   // a tensor past the 2 GB mark is still reachable
    }

    private static unsafe nint PointerOf(SafetensorsFile file, string name) => (nint)file.GetPointer(name);

    private static unsafe nint ViewPointer(TensorView view) => (nint)view.Pointer;
}
