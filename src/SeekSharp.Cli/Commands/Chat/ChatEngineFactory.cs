using SeekSharp.Engine;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>Creates the inference engine `seek chat` runs on.</summary>
internal static class ChatEngineFactory
{
    public static IInferenceEngine Open(string directory, string modelId, string device, int threads) =>
        throw new CliUsageException("seek chat needs the inference engine (SeekSharp.Engine.LlmEngine), which is not part of this build yet");
}
