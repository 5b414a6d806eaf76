using SeekSharp.IO;

namespace SeekSharp.Cli.Commands;

/// <summary>Runs a verb body and turns expected failures into one clear line on stderr and exit code 2.</summary>
internal static class CliRunner
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is CliUsageException or CheckpointFormatException or FileNotFoundException
                                      or DirectoryNotFoundException or ArgumentException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
