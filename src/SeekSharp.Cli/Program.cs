using System.CommandLine;
using SeekSharp.Cli.Commands;

// Composition root of `seek`: every verb lives in Commands/ and is registered here.
var root = new RootCommand("SeekSharp: DeepSeek-V3.2 inference for .NET");
foreach (var command in CommandRegistry.All())
    root.Subcommands.Add(command);
// No response files: an argument such as "@user" is text, not a file to expand.
return root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).Invoke();
