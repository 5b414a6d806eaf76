namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// One sequence's part of a forward call: activation rows [RowOffset, RowOffset + Tokens) are its tokens at positions
/// [StartPos, StartPos + Tokens), attending over its own cache <see cref="Kv"/>.
/// </summary>
/// <param name="MhaAllowed">False runs even a prompt's first chunk in the absorbed form (see <see cref="DeepSeekV32Model.ForwardBatch"/>).</param>
public sealed record ForwardSegment(int RowOffset, int Tokens, int StartPos, ISequenceKv Kv, bool MhaAllowed = true)
{
    public int EndPos => StartPos + Tokens;

    /// <summary>The reference's MHA prefill form applies to a whole prompt from position 0; otherwise the absorbed form.</summary>
    public bool UsesMhaPrefill => MhaAllowed && StartPos == 0 && Tokens > 1;
}

/// <summary>One sequence of a batched forward step: its next tokens, the position of the first, and its cache.</summary>
/// <param name="AllRows">Return logits for every token of this sequence, not only its last (prompt scoring).</param>
public sealed record BatchSequence(ReadOnlyMemory<int> Tokens, int StartPos, ISequenceKv Kv, bool AllRows = false);
