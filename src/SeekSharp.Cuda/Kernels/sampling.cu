// sampling.cu — greedy decoding on the device. Launchers: SamplingLauncher.

// ids[r] = index of the largest of logits[r, 0..vocab) (lowest index on ties). grid.x = row, block = 1024.
extern "C" __global__ void argmax_rows(const float* logits, int vocab, int* ids)
{
    __shared__ float best_value[32];
    __shared__ int best_index[32];
    const float* row = logits + (i64)blockIdx.x * vocab;
    float value = SS_NEG_INF;
    int index = 0x7fffffff;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x)   // ascending i per thread: strict > keeps the lowest
        if (row[i] > value || index == 0x7fffffff) { value = row[i]; index = i; }
    // warp then block reduction on (value, index): larger value wins, equal values the lower index
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) { value = v; index = i; }
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) { best_value[warp] = value; best_index[warp] = index; }
    __syncthreads();
    if (warp != 0) return;
    value = lane < warps ? best_value[lane] : SS_NEG_INF;
    index = lane < warps ? best_index[lane] : 0x7fffffff;
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) { value = v; index = i; }
    }
    if (lane == 0) ids[blockIdx.x] = index == 0x7fffffff ? 0 : index;
}
