using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>One tensor's header entry: where its bytes are in which file, without reading them.</summary>
/// <param name="Name">Tensor name as in the header, e.g. "model.layers.0.self_attn.q_a_proj.weight".</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, row-major; empty for a scalar.</param>
/// <param name="File">Full path of the shard that holds the data.</param>
/// <param name="DataOffset">Byte offset of the first element from the start of the file (header included).</param>
/// <param name="ByteLength">Number of data bytes (= product of Shape × element size).</param>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, string File, long DataOffset, long ByteLength)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
