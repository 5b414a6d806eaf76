namespace SeekSharp.IO.Safetensors;

/// <summary>Writes a file via a temp file in the same folder and a final rename, so readers never see half a file.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<FileStream> writeContent)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a leftover temp file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
