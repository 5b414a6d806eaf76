namespace SeekSharp.IO.Safetensors;

/// <summary>Checks that the tensors tile the data buffer exactly: no overlaps, no holes, no trailing bytes.</summary>
internal static class SafetensorsLayout
{
    /// <summary>Sorts the entries by data offset in place and returns them, or throws naming the first tensor that breaks the tiling.</summary>
    public static List<HeaderEntry> CheckCoverage(string file, List<HeaderEntry> entries, long dataLength)
    {
        // Writers emit headers in offset order, so the sort is usually skipped. Names are distinct, so the order is total.
        if (!IsSorted(entries)) entries.Sort(Compare);

        long covered = 0;
        HeaderEntry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < covered)
            {
                var p = previous!.Value;
                throw new CheckpointFormatException(file, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{p.Name}' [{p.Begin}, {p.End}]");
            }
            if (entry.Begin > covered)
                throw new CheckpointFormatException(file, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] leave a hole: bytes [{covered}, {entry.Begin}) belong to no tensor");
            covered = entry.End;
            previous = entry;
        }

        if (covered != dataLength)
            throw new CheckpointFormatException(file, previous?.Name,
                $"data buffer is {dataLength} bytes but tensors cover only [0, {covered}): {dataLength - covered} trailing bytes belong to no tensor");
        return entries;
    }

    // Zero-byte tensors sort before a same-offset neighbour so [k,k] followed by [k,m] tiles cleanly.
    private static int Compare(HeaderEntry a, HeaderEntry b)
    {
        var byBegin = a.Begin.CompareTo(b.Begin);
        if (byBegin != 0) return byBegin;
        var byEnd = a.End.CompareTo(b.End);
        return byEnd != 0 ? byEnd : string.CompareOrdinal(a.Name, b.Name);
    }

    private static bool IsSorted(List<HeaderEntry> entries)
    {
        for (var i = 1; i < entries.Count; i++)
            if (Compare(entries[i - 1], entries[i]) > 0) return false;
        return true;
    }
}
