"""Per-stage peak memory: the process's resident set, and CUDA's."""
import resource
import sys
from typing import Dict, Optional

import torch


def reset_peak_memory() -> None:
    """Start a new peak: CUDA's allocator statistics and, on Linux, the
    resident-set high-water mark (``VmHWM``, reset through
    ``/proc/self/clear_refs``)."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass  # not Linux: the peak then counts from the process's start


def _resident_peak_mb() -> Optional[float]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # A lifetime peak, in bytes on macOS and kilobytes elsewhere.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == 'darwin' else peak / 1024


def peak_memory() -> Dict[str, float]:
    """Peaks since :func:`reset_peak_memory`, in MiB: ``peak_rss_mb`` of
    this process (data-loader workers are processes of their own) and,
    with CUDA, ``peak_cuda_mb`` allocated by torch on this device."""
    peaks = {}
    rss = _resident_peak_mb()
    if rss is not None:
        peaks['peak_rss_mb'] = round(rss, 1)
    if torch.cuda.is_available():
        peaks['peak_cuda_mb'] = round(
            torch.cuda.max_memory_allocated() / 2**20, 1)
    return peaks
