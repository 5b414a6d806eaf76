using SeekSharp.Agents.Loop;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>
/// The read–answer loop of `seek chat`: one line of input is one user message (so the chat can be driven by piping
/// text in); "/reset" forgets the conversation, "/exit" or the end of input ends the session. Ctrl+C stops the
/// reply being generated, a second Ctrl+C ends the program.
/// </summary>
internal sealed class ChatSession(AgentLoop loop, ChatRenderer renderer, TextReader input, TextWriter prompt, bool echoInput)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!echoInput) prompt.Write("> ");
            var line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null || line.Trim() == "/exit") break;
            if (line.Trim().Length == 0) continue;
            if (echoInput) prompt.WriteLine("> " + line);
            if (line.Trim() == "/reset")
            {
                loop.Reset();
                renderer.Note("(conversation cleared)");
                continue;
            }
            using var reply = new ReplyCancellation(cancellationToken);
            try
            {
                await foreach (var e in loop.RunStreamingAsync(line, reply.Token).ConfigureAwait(false)) renderer.Render(e);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                renderer.Note("(reply stopped)");
            }
            catch (EngineRequestException e)
            {
                // e.g. the conversation outgrew the context: the session goes on
                renderer.Note($"error: {e.Message} ({e.Field}); /reset starts a new conversation");
            }
            catch (Exception e) when (e is EngineOverloadedException or ChatEncodingException or InvalidOperationException)
            {
                renderer.Note($"error: {e.Message}");
            }
        }
        return 0;
    }

    /// <summary>Ctrl+C during a reply cancels only that reply.</summary>
    private sealed class ReplyCancellation : IDisposable
    {
        private readonly CancellationTokenSource _source;

        public ReplyCancellation(CancellationToken session)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(session);
            Console.CancelKeyPress += OnCancel;
        }

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            Console.CancelKeyPress -= OnCancel;
            _source.Dispose();
        }

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            if (_source.IsCancellationRequested) return;   // a second Ctrl+C ends the program
            e.Cancel = true;
            _source.Cancel();
        }
    }
}
