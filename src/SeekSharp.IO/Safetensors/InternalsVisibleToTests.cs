using System.Runtime.CompilerServices;

// The streaming JSON fast paths are tested against the DOM parser they stand in for.
[assembly: InternalsVisibleTo("SeekSharp.IO.Tests")]
