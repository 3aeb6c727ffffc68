"""How many CPU threads torch uses in replications and tests.

On a machine shared with other jobs, torch's threads wait for each other on busy cores, and a
small model can run ten times slower on two threads than on one. Small models get one thread;
a bigger step can be timed with each candidate count, keeping the faster.
"""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch


def fastest_thread_count(step: Callable[[], None], candidates: tuple[int, ...] | None = None, repeats: int = 3) -> int:
    """The candidate thread count with the fastest median `step()` (default candidates: 1 and
    the number of cores, at most 4). Leaves torch on the count it found."""
    candidates = candidates or tuple(sorted({1, min(4, os.cpu_count() or 1)}))
    timings = {}
    for threads in candidates:
        torch.set_num_threads(threads)
        step()  # warm-up
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            step()
            runs.append(time.perf_counter() - started)
        timings[threads] = sorted(runs)[len(runs) // 2]
    best = min(timings, key=timings.get)
    torch.set_num_threads(best)
    return best


@contextmanager
def cpu_threads(device: torch.device | str | None = "cpu", step: Callable[[], None] | None = None) -> Iterator[int]:
    """Inside the block torch uses one thread, or, given `step`, the fastest count for it; yields
    the count. On a GPU (`device` not the CPU) nothing changes. The previous count comes back after."""
    previous = torch.get_num_threads()
    try:
        if torch.device(device or "cpu").type != "cpu":
            yield previous
            return
        threads = fastest_thread_count(step) if step is not None else 1
        torch.set_num_threads(threads)
        yield threads
    finally:
        torch.set_num_threads(previous)
