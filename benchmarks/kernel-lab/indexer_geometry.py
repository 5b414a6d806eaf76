"""Launch geometry of the tensor-core indexer (Kernels/indexer_tc.cu), mirroring Launchers/IndexerLauncher.cs, for the
kernel-lab scripts that launch it (indexer_tc_lab.py, topk_lab.py).

    from indexer_geometry import SMS, HOPPER, TC_SHARED, tc_chunk, wh_chunk, wh_shared
"""
import torch

SMS = torch.cuda.get_device_properties(0).multi_processor_count
HOPPER = torch.cuda.get_device_capability() == (9, 0)   # the f16 warpgroup kernels (wh1 / wh8) exist on sm_90a only
TC_SHARED = 4 * 128 * (144 + 4)   # tc1 / tc8: 4 stages of 128 key rows (144-byte pitch) and their scales; + group * 256


def wh_shared(group):
    """IndexerLauncher.WarpgroupShared: alignment slack, the group's queries as f16, a ring per warpgroup of 64-key tiles
    (5 deep for one row, 4 for eight), the group's weights."""
    stages = 5 if group == 1 else 4
    return 1024 + group * 16384 + 2 * stages * (8192 + 256 + 8) + group * 256


def tc_chunk(max_end, groups):
    """IndexerLauncher.TcChunk: keys per block of tc1 / tc8, about 8 blocks per SM."""
    chunk = max_end * groups // (8 * SMS)
    chunk = (chunk + 127) // 128 * 128
    return min(max(chunk, 256), 8192)


def wh_chunk(max_end, groups, group):
    """IndexerLauncher.WarpgroupChunk: keys per block for the warpgroup kernels, about one wave of resident blocks (2 per SM
    for wh1, 1 for wh8)."""
    resident = (2 if group == 1 else 1) * SMS
    chunk = (max_end * groups + resident - 1) // resident
    return min(max((chunk + 127) // 128 * 128, 128), 8192)
