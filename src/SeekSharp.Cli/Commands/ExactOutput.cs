namespace SeekSharp.Cli.Commands;

/// <summary>
/// Verbs whose stdout must be exact bytes (prompts, token JSON, decoded text): produce everything first, then
/// write it in one go — or, on a user error, write nothing to stdout, one line to stderr and exit with 2.
/// </summary>
internal static class ExactOutput
{
    public static int Run(Func<Stream> stdout, TextWriter stderr, Func<byte[]> produce, Func<Exception, bool> isInputError)
    {
        byte[] bytes;
        try
        {
            bytes = produce();
        }
        catch (Exception e) when (isInputError(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            stderr.Flush();
            return 2;
        }
        var output = stdout();
        output.Write(bytes);
        output.Flush();
        return 0;
    }
}
