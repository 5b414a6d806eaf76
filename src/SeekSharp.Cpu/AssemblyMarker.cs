namespace SeekSharp.Cpu;
internal static class AssemblyMarker;
