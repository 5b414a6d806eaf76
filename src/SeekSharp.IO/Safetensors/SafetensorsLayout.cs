namespace SeekSharp.IO.Safetensors;

/// <summary>Checks that the tensors tile the data buffer exactly: no overlaps, no holes, no trailing bytes.</summary>
internal static class SafetensorsLayout
{
    /// <summary>Returns the entries sorted by data offset, or throws naming the first tensor that breaks the tiling.</summary>
    public static List<HeaderEntry> CheckCoverage(string file, List<HeaderEntry> entries, long dataLength)
    {
        // Zero-byte tensors sort before a same-offset neighbour so [k,k] followed by [k,m] tiles cleanly.
        var sorted = entries
            .OrderBy(e => e.Begin)
            .ThenBy(e => e.End)
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();

        long covered = 0;
        HeaderEntry? previous = null;
        foreach (var entry in sorted)
        {
            if (entry.Begin < covered)
                throw new CheckpointFormatException(file, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > covered)
                throw new CheckpointFormatException(file, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] leave a hole: bytes [{covered}, {entry.Begin}) belong to no tensor");
            covered = entry.End;
            previous = entry;
        }

        if (covered != dataLength)
            throw new CheckpointFormatException(file, previous?.Name,
                $"data buffer is {dataLength} bytes but tensors cover only [0, {covered}): {dataLength - covered} trailing bytes belong to no tensor");
        return sorted;
    }
}
