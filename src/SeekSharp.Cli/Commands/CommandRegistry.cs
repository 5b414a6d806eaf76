using System.CommandLine;

namespace SeekSharp.Cli.Commands;

/// <summary>The list of verbs; each command file exposes a static Create().</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        // one line per verb group, keep sorted
        yield return BenchCommand.Create();
        yield return Chat.ChatCommand.Create();
        yield return DemoCommand.Create();
        yield return GenerateCommand.Create();
        yield return InspectCommand.Create();
        yield return Chat.McpDemoServerCommand.Create();
        yield return PromptCommands.Create();
        yield return ScoreCommand.Create();
        yield return Serve.ServeCommand.Create();
        yield return TokenizeCommands.CreateDetokenize();
        yield return TokenizeCommands.CreateTokenize();
        yield break;
    }
}
