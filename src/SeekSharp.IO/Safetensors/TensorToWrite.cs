using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>A tensor for <see cref="SafetensorsWriter"/>: raw little-endian, row-major bytes of prod(Shape) × itemsize.</summary>
public sealed record TensorToWrite(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data);
