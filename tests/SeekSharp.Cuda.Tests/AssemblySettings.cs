// A CudaDevice is used from one thread at a time (one stream, one staging buffer, one allocator), as the engine thread
// does; the test classes share one device, so they run one after another.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
