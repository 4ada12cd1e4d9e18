"""Each run's random numbers, shared by the Mesa model and the array engine.

Every random decision in a run (a walk-out, a veto, a random event, a stochastic
tactic) reads one uniform number ``u(seed, month, stream)``. The numbers are a pure
function of the run's seed, the month index and the stream (purpose), computed with
the SplitMix64 mixing function, a counter-based generator. So:

* two engines that loop differently (one model object per run, or all runs as arrays)
  consume exactly the same draws (common random numbers);
* no global generator exists; a run's draws never depend on which worker ran it;
* the array engine needs no ``numpy.random.Generator`` per run (constructing one
  costs about 9 us, more than a whole simulated run).

Per-run seeds of a batch come from ``numpy.random.SeedSequence`` spawning: runs are
grouped in fixed blocks of ``BLOCK`` indices, each block's key is the spawned child
``SeedSequence(base_seed, spawn_key=(block,))``, and a run's seed mixes that key with
its index in the block. A run's seed thus depends only on (base seed, run index).
"""

from __future__ import annotations

import functools

import numpy as np

BLOCK = 4096
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_STREAM_STRIDE = 1024  # streams per month; months x streams never collide below this

# Fixed streams; random events take STREAM_EVENTS + their index in the scenario. A month's
# second, third and fourth round read the same streams shifted by ROUND_STRIDE per round;
# a legislature's vote reads STREAM_VOTE[side] + the bloc's index.
STREAM_VETO = {"us": 0, "rok": 1}
STREAM_TACTIC = {"us": 2, "rok": 3}
STREAM_EVENTS = 8
ROUND_STRIDE = 128  # streams per round: events fit below it (STREAM_EVENTS + 120)
STREAM_VOTE = {"us": 512, "rok": 544}  # above four rounds' streams; up to 32 blocs


def stream(base: int, round_index: int = 0) -> int:
    """The stream of a draw ``base`` in a month's ``round_index``-th round (0: the first)."""
    return base + round_index * ROUND_STRIDE


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer on uint64 arrays (wrapping arithmetic)."""
    z = np.asarray(x, dtype=np.uint64)
    if z.ndim:  # array arithmetic wraps silently; only numpy scalars warn on overflow
        return _mix(z)
    with np.errstate(over="ignore"):
        return _mix(z)


def _mix(z: np.ndarray) -> np.ndarray:
    z = z + _GOLDEN  # a new array: the caller's is left alone; the rest works in place
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def seed_key(seed: int | np.ndarray) -> np.ndarray:
    """The 64-bit key of a run from its (non-negative integer) seed."""
    return splitmix64(np.asarray(seed, dtype=np.uint64))


def _unit(key: np.ndarray, counter_bits: np.ndarray) -> np.ndarray:
    """u = top 53 bits of splitmix64(key ^ counter_bits), scaled to [0, 1), where
    ``counter_bits`` = splitmix64(month * stride + stream)."""
    bits = splitmix64(key ^ counter_bits)
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def uniforms(seed: int | np.ndarray, months: int, streams: int) -> np.ndarray:
    """Uniforms in [0, 1) of shape ``seed.shape + (months, streams)``."""
    key = seed_key(seed)[..., None, None]
    counter = (
        np.arange(months, dtype=np.uint64)[:, None] * np.uint64(_STREAM_STRIDE)
        + np.arange(streams, dtype=np.uint64)[None, :]
    )
    return _unit(key, splitmix64(counter))


def uniform_at(key: np.ndarray, month: int, stream: int | list[int]) -> np.ndarray:
    """Cells of ``uniforms``, ``u(seed, month, stream)``, for runs with ``seed_key`` ``key``:
    shape ``key.shape`` for one stream, ``key.shape + (len(stream),)`` for a list.

    The array engine draws only the cells a month needs, for the runs still talking,
    instead of the whole (runs, months, streams) table.
    """
    if isinstance(stream, int):
        return _unit(key, _counter_bits(month * _STREAM_STRIDE + stream))
    bits = np.array([_counter_bits(month * _STREAM_STRIDE + s) for s in stream], np.uint64)
    return _unit(key[..., None], bits)


@functools.lru_cache(maxsize=1 << 16)
def _counter_bits(counter: int) -> np.uint64:
    """splitmix64 of one (month, stream) counter: the seed-free half of a draw."""
    return splitmix64(np.uint64(counter))[()]


def run_seeds(base_seed: int, run_index: np.ndarray | list[int]) -> np.ndarray:
    """Seeds (non-negative int64) of batch runs, from SeedSequence spawning by block."""
    idx = np.asarray(run_index, dtype=np.int64)
    blocks = idx // BLOCK
    out = np.empty(idx.shape, dtype=np.uint64)
    for block in np.unique(blocks):
        child = np.random.SeedSequence(int(base_seed), spawn_key=(int(block),))
        key = child.generate_state(1, np.uint64)[0]
        sel = blocks == block
        out[sel] = splitmix64(key + (idx[sel] % BLOCK).astype(np.uint64))
    return (out >> np.uint64(1)).astype(np.int64)
