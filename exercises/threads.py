"""How many CPU threads torch uses in replications and tests.

On a machine shared with other jobs, torch's threads wait for each other on busy cores, and a
small model can run ten times slower on two threads than on one. Small models get one thread;
a bigger step can be timed with each candidate count, keeping the faster; a long job made of
chunks re-chooses as it runs, timing real chunks (ThreadChooser), since other jobs come and go.
"""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch


def default_candidates() -> tuple[int, ...]:
    """One thread, and the number of cores (at most 4)."""
    return tuple(sorted({1, min(4, os.cpu_count() or 1)}))


def fastest_thread_count(step: Callable[[], None], candidates: tuple[int, ...] | None = None, repeats: int = 3) -> int:
    """The candidate thread count with the fastest median `step()` (default candidates: 1 and
    the number of cores, at most 4). Leaves torch on the count it found."""
    candidates = candidates or default_candidates()
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


class ThreadChooser:
    """Picks torch's thread count for each chunk of a long CPU job on a machine shared with others.

    On a quiet 2-core machine two threads collect SmolLM2's activations twice as fast as one
    (2,300 vs 1,100 tokens/s); with another busy process they wait for each other and fall far
    below one thread. So every `every` chunks, one chunk runs on 1 thread and the next on all
    cores (at most 4), timed as they do real work; the chunks until the next probe use the faster.
    """

    def __init__(self, every: int = 16) -> None:
        self.every, self.seconds = every, {}
        self.candidates = default_candidates()

    @contextmanager
    def for_chunk(self, index: int):
        previous, probe = torch.get_num_threads(), index % self.every
        probing = probe < len(self.candidates)
        threads = self.candidates[probe] if probing else min(self.seconds, key=self.seconds.get)
        torch.set_num_threads(threads)
        begun = time.perf_counter()
        try:
            yield threads
        finally:
            if probing:
                self.seconds[threads] = time.perf_counter() - begun
            torch.set_num_threads(previous)
