using System.Runtime.CompilerServices;

// The tests drive the decode helpers and every register width directly (Vector512 runs in software where
// AVX-512 is absent), and the benchmarks time the kernels without the pool.
[assembly: InternalsVisibleTo("SeekSharp.Cpu.Tests")]
[assembly: InternalsVisibleTo("SeekSharp.Benchmarks.Cpu")]
