using System.Runtime.InteropServices;
using System.Text;

namespace SeekSharp.IO.Npy;

/// <summary>NumPy .npy (format 1.0) for float32 C-order arrays: what `seek score --logits-out` writes.</summary>
public static class NpyFile
{
    private static readonly byte[] s_magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    /// <summary>Writes data with the given shape atomically (temp file, then rename).</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length) throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {count} values, data has {data.Length}");
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        var unpadded = s_magic.Length + 2 + header.Length + 1;
        header += new string(' ', (64 - unpadded % 64) % 64) + "\n";   // data starts 64-byte aligned

        var full = Path.GetFullPath(path);
        var temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                stream.Write(s_magic);
                Span<byte> length = [(byte)(header.Length & 0xFF), (byte)(header.Length >> 8)];
                stream.Write(length);
                stream.Write(Encoding.ASCII.GetBytes(header));
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
                stream.Write(MemoryMarshal.AsBytes(data));
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads a float32 C-order .npy written by us or NumPy; returns data and shape.</summary>
    public static (float[] Data, long[] Shape) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(s_magic.AsSpan(0, 6)))
            throw new CheckpointFormatException(path, null, "not a .npy file");
        int headerLength, headerStart;
        if (bytes[6] == 1) { headerLength = bytes[8] | bytes[9] << 8; headerStart = 10; }
        else { headerLength = BitConverter.ToInt32(bytes, 8); headerStart = 12; }
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'<f4'") || header.Contains("'fortran_order': True"))
            throw new CheckpointFormatException(path, null, $"only little-endian float32 C-order arrays are supported: {header.Trim()}");
        var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        shapeText = shapeText[..shapeText.IndexOf(')')];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(headerStart + headerLength)).ToArray();
        return (data, shape);
    }
}
