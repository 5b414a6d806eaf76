using System.Runtime.CompilerServices;

// The tests drive each SIMD width directly (Vector512 runs in software where AVX-512 is absent),
// so every vector path is checked against the scalar path on any machine.
[assembly: InternalsVisibleTo("SeekSharp.Core.Tests")]
