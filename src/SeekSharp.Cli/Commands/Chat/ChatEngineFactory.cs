using SeekSharp.Engine;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>Creates the inference engine `seek chat` runs on: the checkpoint on the chosen device, cache for one conversation.</summary>
internal static class ChatEngineFactory
{
    public static IInferenceEngine Open(string directory, string modelId, string device, int threads)
    {
        var computeDevice = ModelCommandOptions.CreateDevice(device, threads);
        // one user: the KV pool holds one full context (plus what the prefix cache keeps of earlier turns)
        var options = new EngineOptions { ModelName = modelId, MaxRunningSequences = 1 };
        return LlmEngine.Load(directory, computeDevice, options, ownsDevice: true);
    }
}
