"""A pyabc sampler whose generations do not depend on workers, Dask or timing.

pyabc's own parallel samplers accept particles in the order workers finish them, so the
population depends on timing. Here every evaluation has an index ``i`` (0, 1, 2, ... within
a generation ``t``) and draws from numpy's global generator (the only one pyabc's
``simulate_one`` uses) seeded from ``(run seed, t + 1, i)`` alone. Evaluations go out in
batches of consecutive indices to any of the project's evaluators (this process, a local
process pool, a Dask cluster); the generation keeps the particles in index order and stops
at the ``n``-th accepted one, exactly as one process evaluating ``0, 1, 2, ...`` would.
Evaluations past that index, done because batches run in parallel, are discarded, and
``nr_evaluations_`` counts the evaluations up to it, so the acceptance rate and the stored
history are the same however the generation was computed. ``max_eval`` (pyabc's
``population / min_acceptance``) is honoured the same way: only indices below it count,
and a generation without ``n`` acceptances among them is not ``ok`` (pyabc then stops).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyabc.population import Sample
from pyabc.sampler import Sampler

from ..experiments.evaluators import Evaluator, make_evaluator

BATCH = 4  # evaluations per task sent to a worker
# Evaluations share numpy's global generator: one at a time per process, so threaded
# Dask workers stay reproducible too.
_RNG_LOCK = threading.Lock()


def evaluation_seed(seed: int, t: int, index: int) -> np.ndarray:
    """The global generator's state for evaluation ``index`` of generation ``t``.

    ``t`` is -1 for pyabc's calibration sample from the prior, hence ``t + 1``.
    """
    return np.random.SeedSequence([seed, t + 1, index]).generate_state(4)


@dataclass(frozen=True)
class Batch:
    """Consecutive evaluation indices of one generation, with the pickled ``simulate_one``."""

    index: int  # the first evaluation index (also the task's name on Dask)
    count: int
    seed: int
    t: int
    payload: bytes


@functools.lru_cache(maxsize=2)
def _load(payload: bytes) -> Callable[[], Any]:
    import cloudpickle

    return cloudpickle.loads(payload)


def evaluate_batch(batch: Batch) -> list[Any]:
    """Run a batch's evaluations, each from its own seed; leave the global generator as found."""
    simulate_one = _load(batch.payload)
    with _RNG_LOCK:
        state = np.random.get_state()
        try:
            out = []
            for i in range(batch.index, batch.index + batch.count):
                np.random.seed(evaluation_seed(batch.seed, batch.t, i))
                out.append(simulate_one())
        finally:
            np.random.set_state(state)
    return out


class IndexOrderSampler(Sampler):
    """pyabc ``Sampler``: first ``n`` accepted evaluations in index order (module docstring)."""

    def __init__(self, seed: int, workers: int = 1, scheduler: str | None = None,
                 batch: int = BATCH) -> None:
        super().__init__()
        self.seed = int(seed)
        self.batch = batch
        self.workers = workers
        self.scheduler = scheduler
        make_evaluator(workers, scheduler)  # a malformed --scheduler fails here, not later
        self.evaluator: Evaluator | None = None
        # Progress: a line per generation (set by run_abc): log, generations in all, and
        # generations already stored when this run started.
        self.progress: Callable[[str], None] | None = None
        self.generations = 0
        self.first = 0
        self._started = time.perf_counter()

    def start(self) -> None:
        """Start the workers (or connect to the cluster) if not yet done."""
        if self.evaluator is None:
            self.evaluator = make_evaluator(self.workers, self.scheduler).__enter__()

    def stop(self) -> None:
        """Stop the workers; pyabc calls this when a run ends."""
        if self.evaluator is not None:
            evaluator, self.evaluator = self.evaluator, None
            evaluator.__exit__(None, None, None)

    def sample_until_n_accepted(self, n: int, simulate_one: Callable[[], Any], t: int, *,
                                max_eval: float = np.inf, all_accepted: bool = False,
                                ana_vars: Any = None) -> Sample:
        import cloudpickle

        self.start()
        assert self.evaluator is not None
        # Evaluation i counts while i < max_eval (pyabc's population / min_acceptance).
        limit = math.ceil(max_eval) if math.isfinite(max_eval) else math.inf
        results: dict[int, Any] = {}
        state = {"next": 0, "accepted": 0}
        batch = 1 if self.evaluator.workers == 1 else self.batch
        payload = cloudpickle.dumps(simulate_one)

        def batches() -> Iterator[Batch]:
            while state["accepted"] < n and state["next"] < limit:
                first = state["next"]
                count = int(min(batch, limit - first))
                state["next"] = first + count
                yield Batch(first, count, self.seed, t, payload)

        for task, particles, error in self.evaluator.imap_unordered(evaluate_batch, batches()):
            if error is not None:
                raise error
            for offset, particle in enumerate(particles):
                results[task.index + offset] = particle
            state["accepted"] += sum(1 for p in particles if p.accepted)
        sample = self._in_index_order(results, n)
        self._report(t, n)
        return sample

    def _report(self, t: int, n: int) -> None:
        """A progress line after generation ``t``: acceptance, time so far and the ETA of
        the generations left at the mean pace of this run's generations so far."""
        if self.progress is None or t < 0:
            return
        done = t + 1 - self.first
        elapsed = time.perf_counter() - self._started
        left = max(0, self.generations - (t + 1))
        rate = n / self.nr_evaluations_ if self.nr_evaluations_ else 0.0
        self.progress(f"calibrate: generation {t + 1}/{self.generations}: {n} accepted of "
                      f"{self.nr_evaluations_} ({rate:.0%}), {elapsed:.0f} s, ETA "
                      f"{elapsed / max(done, 1) * left:.0f} s")

    def _in_index_order(self, results: dict[int, Any], n: int) -> Sample:
        """The sample one process would have made: indices 0, 1, ... up to the n-th accepted."""
        sample = self._create_empty_sample()
        evaluated = 0
        for i in range(len(results)):
            particle = results[i]
            sample.append(particle)
            evaluated = i + 1
            if sample.n_accepted == n:
                break
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample
