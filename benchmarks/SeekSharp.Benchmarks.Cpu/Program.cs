using BenchmarkDotNet.Running;
using SeekSharp.Benchmarks.Cpu;

// --quick [seconds] [case substring]: a plain timing loop with the bandwidth comparison; --stream [passes]: decode GEMVs over
// 384 MB of distinct weights (DRAM-bound, as the model); --kernels: single-core kernel throughput on cache-resident data;
// anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "--quick")
{
    QuickMeasure.Run(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1.0,
        args.Length > 2 ? args[2] : null);
    return;
}
if (args.Length > 0 && args[0] == "--stream")
{
    StreamMeasure.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return;
}
if (args.Length > 0 && args[0] == "--kernels")
{
    KernelThroughput.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(LinearBenchmarks).Assembly).Run(args, BenchmarkConfig.Create(defaultJob: !args.Contains("--job")));
