"""The order in which a benchmark runs its modes: every mode after every other equally often.

A run's time can depend on the run before it. On the 2-core VM of docs/benchmarks.md (eleventh
sitting) the host takes back memory a guest frees (free page reporting), so a run that needs
more memory than the run before it freed faults it in afresh: a 2 x 1 GB run straight after a
``--threads 1`` run (one file at a time) spent 1.5-4 s more in the kernel than after another
two-file run. Rotating one order each round keeps who follows whom: ``bench_cores.py``'s default
always followed ``--threads 1`` (3.26 s against 2.16 s for 15 threads, the same threads-only
engine on that campaign), and ``bench_openfast_vs_pcrunch.py``'s orcapost default always
followed pCrunch.
"""

from __future__ import annotations


def balanced_order(count: int) -> list[int]:
    """An order of ``count`` modes (indices) in which every mode follows every other exactly
    once, the sequence read as a cycle (its last mode before its first): an Eulerian circuit of
    the complete directed graph, ``count * (count - 1)`` runs, each mode ``count - 1`` times.

    Run the modes in this order, repeated, after one untimed run of its last mode."""
    if count < 2:
        return list(range(count))
    unused = {mode: [other for other in range(count) if other != mode] for mode in range(count)}
    circuit, stack = [], [0]
    while stack:  # Hierholzer: walk unused edges, back up when a mode has none left
        mode = stack[-1]
        if unused[mode]:
            stack.append(unused[mode].pop(0))
        else:
            circuit.append(stack.pop())
    circuit.reverse()
    return circuit[:-1]  # the walk ends where it began: the cycle closes on its first mode
