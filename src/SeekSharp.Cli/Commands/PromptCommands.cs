using System.CommandLine;
using System.Text;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Chat.Parsing;

namespace SeekSharp.Cli.Commands;

/// <summary>
/// `seek prompt render|parse`: the V3.2 prompt encoder and completion parser on golden-case JSON files, for
/// debugging prompts in the field. Output is written as raw UTF-8 with nothing added; an input the reference
/// rejects gives its message on stderr and exit code 2.
/// </summary>
public static class PromptCommands
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Command Create() => Create(Console.OpenStandardOutput, Console.Error);

    /// <param name="stdout">Opens the stream the result bytes go to (tests pass a memory stream).</param>
    /// <param name="stderr">Where problems are reported.</param>
    public static Command Create(Func<Stream> stdout, TextWriter stderr)
    {
        var prompt = new Command("prompt", "Render DeepSeek-V3.2 prompts and parse model completions");
        prompt.Subcommands.Add(CreateRender(stdout, stderr));
        prompt.Subcommands.Add(CreateParse(stdout, stderr));
        return prompt;
    }

    private static Command CreateRender(Func<Stream> stdout, TextWriter stderr)
    {
        var input = InputOption("a JSON object with `messages` and `options` (thinking_mode, drop_thinking, add_default_bos_token, context), like a line of encode_cases.jsonl");
        var command = new Command("render", "Print the exact prompt for a conversation (no newline added)") { input };
        command.SetAction(result => Run(stdout, stderr, () =>
        {
            var request = PromptCaseJson.ReadEncodeRequest(File.ReadAllText(result.GetValue(input)!, s_utf8));
            return DeepSeekV32Encoder.Encode(request.Messages, request.Options);
        }));
        return command;
    }

    private static Command CreateParse(Func<Stream> stdout, TextWriter stderr)
    {
        var input = InputOption("a JSON object with `completion` and `options.thinking_mode`, like a line of parse_cases.jsonl");
        var command = new Command("parse", "Parse a completion into {role, content, reasoning_content, tool_calls} JSON") { input };
        command.SetAction(result => Run(stdout, stderr, () =>
        {
            var request = PromptCaseJson.ReadParseRequest(File.ReadAllText(result.GetValue(input)!, s_utf8));
            return DsmlCompletionParser.Parse(request.Completion, request.ThinkingMode).ToReferenceJson();
        }));
        return command;
    }

    private static Option<string> InputOption(string what) => new("--input")
    {
        Description = $"Path of {what}",
        Required = true,
    };

    private static int Run(Func<Stream> stdout, TextWriter stderr, Func<string> produce) =>
        ExactOutput.Run(stdout, stderr, () => s_utf8.GetBytes(produce()), e => e is ChatEncodingException or DsmlParseException
            or IOException or UnauthorizedAccessException or DecoderFallbackException or EncoderFallbackException);
}
