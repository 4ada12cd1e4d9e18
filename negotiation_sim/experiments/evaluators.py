"""How runs are executed: in this process, in a local process pool, or on Dask.

Every evaluator has the same shape: a context manager whose ``imap_unordered(fn,
tasks)`` yields ``(task, result, error)`` as chunks finish, in any order, keeping at
most a few chunks in flight per worker (memory stays flat however many chunks a sweep
has). ``error`` is the exception a chunk raised as a whole (a dead worker, a lost
connection); errors of single runs are recorded inside the result by the chunk itself.

The local pool forks its workers when this process runs a single Python thread (fast:
the workers inherit the imported model), and otherwise uses a fork server that preloads
the model (safe next to other threads, e.g. in a notebook); see ``start_method``. The
start method is passed to the pool, never set globally (``mesa.batch_run`` sets
``spawn`` globally; that does not affect this pool). Workers ignore Ctrl-C (the main
process stops the sweep) and exit when the main process dies, however it dies, so a
killed sweep leaves no orphans (see ``_worker_init``). A pool left by an exception (Ctrl-C
in the main process) stops its workers at once: SIGTERM, then SIGKILL after
``STOP_GRACE`` seconds (a job that must record something on the way out handles SIGTERM,
as tuning's workers do). Sweeps, tuning and sensitivity all run
through this pool, so every command that starts workers leaves none behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..errors import UsageError

Outcome = tuple[Any, Any, BaseException | None]
PRELOAD = ["negotiation_sim.experiments.chunks"]
MAX_POOL_RESTARTS = 3
STOP_GRACE = 0.5  # seconds a stopped worker has to exit on SIGTERM before SIGKILL
CONNECT_TIMEOUT = 10  # seconds to reach a Dask scheduler
DASK_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")  # Dask's protocols that reach another process


def default_workers() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Evaluator:
    """Base: sequential evaluation in this process."""

    name = "sequential"
    workers = 1

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"evaluator": self.name, "workers": self.workers}

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]:
        for task in tasks:
            try:
                result = fn(task)
            except Exception as exc:
                yield task, None, exc
                continue
            yield task, result, None


def start_method(allow_fork: bool = True) -> str:
    """fork when this process runs no other Python thread, else forkserver, else spawn.

    Native thread pools (OpenBLAS, Arrow) exist in any process that imported numpy or
    pandas; they re-initialise after a fork. Python threads (a notebook kernel, a Dask
    client, a logging or progress thread) may hold locks a forked child would inherit
    held: with any of them, workers come from a fork server instead (about 1 s more).
    ``allow_fork=False`` is for a process holding what a child must not inherit (an open
    SQLite connection: tuning).
    """
    methods = multiprocessing.get_all_start_methods()
    if allow_fork and "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def die_with_parent(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies (PR_SET_PDEATHSIG).

    False where unsupported. (The parent is the thread that forked this process: a
    pool's workers are forked from the main thread.)
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None).prctl(1, signum) == 0
    except (OSError, AttributeError):
        return False


def _worker_init() -> None:
    """Ignore Ctrl-C (the main process stops the sweep); die with the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(signal.SIGKILL)  # forked workers
    parent = multiprocessing.parent_process()
    if parent is None or not parent.is_alive():
        os._exit(1)
    # Fork-server workers are the fork server's children, so PDEATHSIG cannot see the main
    # process die (and the fork server outlives it while its children run): watch the
    # main process's sentinel instead.
    threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True,
                     name="exit-with-main-process").start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _pid(_: object) -> int:
    return os.getpid()


def stop_processes(processes: Iterable[Any], grace: float = STOP_GRACE) -> None:
    """SIGTERM each ``multiprocessing`` process, SIGKILL any left after ``grace`` s.

    Exits are seen on the processes' sentinels, never by reaping (``is_alive``, ``join``):
    the pool's own thread may reap the same processes.
    """
    def running(procs: list[Any]) -> list[Any]:
        ended = set(multiprocessing.connection.wait([p.sentinel for p in procs], 0))
        return [p for p in procs if p.sentinel not in ended]

    live = running(list(processes))
    for p in live:
        with contextlib.suppress(OSError, ValueError):
            p.terminate()
    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        multiprocessing.connection.wait([p.sentinel for p in live],
                                        max(0.0, deadline - time.monotonic()))
        live = running(live)
    for p in live:
        with contextlib.suppress(OSError, ValueError):
            p.kill()


class ProcessEvaluator(Evaluator):
    """A local process pool with ``workers`` processes."""

    name = "processes"

    def __init__(self, workers: int, method: str | None = None) -> None:
        self.workers = workers
        self.method = method
        self.pool: ProcessPoolExecutor | None = None
        self.restarts = 0

    def _start(self) -> None:
        method = self.method or start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(PRELOAD)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                        initializer=_worker_init)
        self.used_method = method
        with warnings.catch_warnings():
            # Python 3.12+ warns on fork() next to any native thread; see start_method().
            warnings.filterwarnings("ignore", r".*use of fork\(\) may lead to deadlocks",
                                    DeprecationWarning)
            # Start every worker now, before this process starts any thread of its own.
            list(self.pool.map(_pid, range(self.workers)))

    def __enter__(self) -> ProcessEvaluator:
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Wait for the workers after success; stop them at once after an exception.

        (Otherwise the interpreter's exit would wait for every job in flight, which for a
        tuning worker is all of its trials.)
        """
        if self.pool is None:
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
        self.pool = None
        if exc[0] is not None:
            stop_processes(processes)

    def describe(self) -> dict[str, Any]:
        return {"evaluator": self.name, "workers": self.workers,
                "start_method": getattr(self, "used_method", self.method)}

    def worker_pids(self) -> list[int]:
        """Process ids of the pool's live workers (diagnostics)."""
        processes = getattr(self.pool, "_processes", None) or {}
        return sorted(pid for pid, proc in processes.items() if proc.is_alive())

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]:
        """Yield each task's outcome once; a dead worker fails the tasks in flight.

        When a worker dies the pool is broken: every task submitted and not yet finished
        is reported with ``BrokenProcessPool`` (which of them killed the worker cannot be
        told), the pool is restarted (at most ``MAX_POOL_RESTARTS`` times) and the
        remaining tasks run in the new pool. The pool may break between two submissions,
        so a refused submission is handled the same way.
        """
        tasks = iter(tasks)
        pending: dict[Future, Any] = {}
        exhausted = False
        while True:
            broken: BrokenProcessPool | None = None
            while not exhausted and broken is None and len(pending) < 2 * self.workers:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                elif self.pool is None:  # restarts used up: report, do not run
                    yield task, None, RuntimeError("not run: worker processes kept dying")
                else:
                    try:
                        pending[self.pool.submit(fn, task)] = task
                    except BrokenProcessPool as exc:  # broke since the last wait()
                        broken = exc
                        yield task, None, exc
            if broken is None:
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    try:
                        yield task, future.result(), None
                    except BrokenProcessPool as exc:
                        broken = exc
                        yield task, None, exc
                    except Exception as exc:
                        yield task, None, exc
            if broken is not None:
                for task in pending.values():
                    yield task, None, BrokenProcessPool("a worker process died")
                pending.clear()
                self._restart()

    def _restart(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        if self.restarts < MAX_POOL_RESTARTS:
            self.restarts += 1
            self._start()


class DaskEvaluator(Evaluator):
    """Chunks sent to a Dask cluster: an existing scheduler, or a new ``LocalCluster``."""

    name = "dask"

    def __init__(self, address: str, workers: int | None = None,
                 wait_for_workers: float = 30.0) -> None:
        self.address = address
        self.workers = workers or default_workers()
        self.wait_seconds = wait_for_workers
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> DaskEvaluator:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError("--scheduler: dask.distributed is not installed; allowed: pip "
                             "install 'negotiation_sim[batch]'") from None
        if self.address == "local":
            # This machine only, and any free port for Dask's own status page (None
            # would still take 8787 and warn when another cluster holds it).
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, host="127.0.0.1",
                                        dashboard_address="127.0.0.1:0",
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            _probe(self.address)
            try:
                self.client = Client(self.address, timeout=f"{CONNECT_TIMEOUT}s")
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                # ValueError/TypeError: Dask could not use the address (no port, TLS
                # without a certificate, ...).
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise UsageError(f"--scheduler {self.address}: cannot connect ({reason}); "
                                 "allowed: the address of a running dask scheduler, e.g. "
                                 "tcp://host:8786, or local") from None
            try:
                self.client.wait_for_workers(1, timeout=self.wait_seconds)
            except (TimeoutError, OSError):
                self.client.close()
                raise UsageError(f"--scheduler {self.address}: no worker joined within "
                                 f"{self.wait_seconds:g} s; allowed: a scheduler with at "
                                 "least one `dask worker` connected") from None
            self.workers = max(1, sum(self.client.nthreads().values()))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def describe(self) -> dict[str, Any]:
        return {"evaluator": self.name, "scheduler": self.address, "workers": self.workers}

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Outcome]:
        from distributed import as_completed

        prefix = f"sweep-{uuid.uuid4().hex[:8]}"
        tasks = iter(tasks)
        of_future: dict[Any, Any] = {}
        finished = as_completed()

        def submit() -> bool:
            task = next(tasks, None)
            if task is None:
                return False
            future = self.client.submit(fn, task, key=f"{prefix}-chunk-{task.index}")
            of_future[future] = task
            finished.add(future)
            return True

        for _ in range(2 * self.workers):
            if not submit():
                break
        for future in finished:
            task = of_future.pop(future)
            try:
                result = future.result()
            except Exception as exc:
                yield task, None, exc
            else:
                yield task, result, None
            future.release()
            submit()


def _probe(address: str) -> None:
    """Fail fast when nothing listens at a tcp:// address (Dask would retry until timeout)."""
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp" or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise UsageError(f"--scheduler {address}: cannot connect ({exc.strerror or exc}); "
                         "allowed: the address of a running dask scheduler, e.g. "
                         "tcp://host:8786, or local") from None


def make_evaluator(workers: int | None = None, scheduler: str | None = None) -> Evaluator:
    """The evaluator for ``--workers`` / ``--scheduler``."""
    if scheduler:
        scheme = scheduler.partition("://")[0]
        if scheduler != "local" and ("://" not in scheduler or scheme not in DASK_SCHEMES):
            raise UsageError(f"--scheduler {scheduler}: not an address; allowed: local, or a "
                             "dask scheduler address like tcp://host:8786 (protocols: "
                             f"{', '.join(DASK_SCHEMES)})")
        return DaskEvaluator(scheduler, workers)
    workers = workers or default_workers()
    return Evaluator() if workers == 1 else ProcessEvaluator(workers)
