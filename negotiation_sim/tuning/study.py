"""The Optuna study: objective, storage, worker processes, and the fitted result.

* **Storage.** By default an SQLite file inside the results folder
  (``sqlite:///<out>/study.db``), so the same command run again continues the same study.
  Any storage URL Optuna accepts works (``postgresql://user@host/db``): workers on several
  machines then share one study, Optuna's standard distributed mode.
* **Exactly the trials asked for.** ``--trials N`` adds N trials to the study. With W
  worker processes, worker ``i`` runs ``N // W`` trials, one more for the first ``N % W``
  workers, each through ``Study.optimize(n_trials=...)``, which runs exactly that many.
  (``MaxTrialsCallback`` is checked only after a trial ends, so concurrent workers can
  overshoot by up to W - 1 trials; a fixed share per worker cannot.)
* **Seeds.** Every trial simulates each cycle with the same run seeds (common random
  numbers), so a parameter set has one loss whoever evaluates it. Worker ``i``'s sampler is
  seeded from (config seed, trials already in the study, ``i``): one worker reproduces
  its suggestions exactly; several workers stay distinct from each other, but the order in
  which their trials finish (and so TPE's later suggestions) depends on timing. Two
  ``tune`` processes started together on one study would see the same trial count, so
  each claims a session number in the storage (``claim_session``) that joins its seeds
  when it is not 0: a lone process keeps its seeds, concurrent ones draw their own.
* **Same config.** A stored study remembers its config's fingerprint; continuing it with a
  different config is refused rather than mixing two searches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..parameters import Parameter
from .config import Cycle, TuneConfig, load_tune_config
from .loss import CycleFit, common_seeds, evaluate_cycle, total_loss

FINGERPRINT_ATTR = "negotiation_sim_config"
FIT_CYCLES_ATTR = "negotiation_sim_fit_cycles"


def default_storage(out: Path) -> str:
    """The SQLite URL of the study file inside the results folder."""
    return f"sqlite:///{(out / 'study.db').resolve()}"


def study_name_for(config: TuneConfig, name: str | None, holdout: str | None) -> str:
    base = name or config.name
    return f"{base}-holdout-{holdout}" if holdout else base


def make_storage(url: str) -> Any:
    """An Optuna storage for a URL.

    SQLite waits up to 60 s for a lock held by another worker, and runs in WAL mode with
    ``synchronous=NORMAL``: readers do not block the writer and a commit costs no full
    fsync, which makes a trial's dozen small writes about 3x cheaper (the study stays
    crash-safe; WAL needs a local disk, not a network share).
    """
    import optuna

    sqlite = url.startswith("sqlite")
    if sqlite and in_memory(url):
        raise UsageError(f"--storage {url}: an in-memory SQLite database keeps no study "
                         "between connections or workers; allowed: a file, e.g. "
                         "sqlite:///study.db, or postgresql://user:password@host/db")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}} if sqlite else {}
    try:
        with _creating(url):
            storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    except Exception as exc:  # SQLAlchemy's errors for bad URLs vary by driver
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"--storage {url}: cannot open ({reason}); allowed: a database URL "
                         "Optuna accepts, e.g. sqlite:///study.db or "
                         "postgresql://user:password@host/db") from None
    if sqlite:
        from sqlalchemy import event

        storage.engine.dispose()  # every later connection gets the pragmas
        event.listen(storage.engine, "connect", _sqlite_pragmas)
    return storage


def in_memory(url: str) -> bool:
    """An SQLite URL naming no file (``sqlite://``, ``sqlite:///``, ``:memory:``)."""
    path = url.split("?", 1)[0].removeprefix("sqlite:").lstrip("/")
    return path in ("", ":memory:") or "mode=memory" in url


@contextlib.contextmanager
def _creating(url: str) -> Iterator[None]:
    """Open an SQLite file one process at a time: two ``tune`` processes creating a new
    study file together race on its schema (alembic_version). Waits; never refuses."""
    path = url.removeprefix("sqlite:///")
    if not url.startswith("sqlite:///") or not path or path == ":memory:" or \
            not Path(path).parent.is_dir():
        yield
        return
    import fcntl

    with open(f"{path}.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield  # closing the file drops the lock


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sampler(config: TuneConfig, seed: int) -> Any:
    import optuna

    if config.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=config.startup_trials)


REPEAT_TAG = 0x5EED  # marks a repeated tuner seed's entropy (``tune --seeds``)


def worker_seed(config_seed: int, trials_before: int, worker: int, session: int = 0,
                repeat: int = 0) -> int:
    """A sampler seed that differs by worker, by how far the study has got, by session and
    by tuner seed.

    ``session`` (``claim_session``) is 0 for the only process that started at this point
    of the study, so a lone process keeps its seeds; a concurrent one gets its own stream.
    ``repeat`` (``tune --seeds``) is 0 for the main study, which keeps its seeds.
    """
    entropy = [config_seed, trials_before, worker] + ([session] if session or repeat else [])
    if repeat:
        entropy += [REPEAT_TAG, repeat]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def claim_session(storage: Any, name: str, trials_before: int) -> tuple[int, int]:
    """A number no other process starting at ``trials_before`` of study ``name`` holds.

    Two ``tune`` processes started together on one study (two terminals, two machines on
    PostgreSQL) see the same ``trials_before``; each claims a session by creating a
    marker study, which the storage's unique study names make atomic: the first gets 0,
    the next 1, ... Returns (session, marker study id); ``release_session`` removes it.
    """
    import optuna

    for session in range(10_000):
        try:
            marker = storage.create_new_study([optuna.study.StudyDirection.MINIMIZE],
                                              f"{name}.session-{trials_before}-{session}")
        except optuna.exceptions.DuplicatedStudyError:
            continue
        return session, marker
    raise UsageError(f"--study {name}: 10,000 sessions started at trial {trials_before}; "
                     "allowed: remove the stale *.session-* studies from the storage")


def release_session(storage: Any, marker: int) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing to release
        storage.delete_study(marker)


def searched(config: TuneConfig, fit_cycles: Sequence[Cycle]) -> tuple[Parameter, ...]:
    """Parameters the fit cycles can identify (those that set a key in one of them)."""
    return tuple(p for p in config.parameters
                 if any(p.targets(c.scenario) for c in fit_cycles))


def fit_cycles_for(config: TuneConfig, holdout: str | None) -> list[Cycle]:
    if holdout is None:
        return list(config.cycles)
    if holdout not in config.cycle_names:
        raise UsageError(f"--holdout {holdout}: not a cycle of {config.source}; allowed: "
                         f"{', '.join(config.cycle_names)}")
    if len(config.cycles) < 2:
        raise UsageError(f"--holdout {holdout}: {config.source} has one cycle, nothing left to "
                         "fit; allowed: a config with two or more cycles")
    return [c for c in config.cycles if c.name != holdout]


class Objective:
    """Optuna objective: the loss of the fit cycles for the trial's parameter values."""

    def __init__(self, config: TuneConfig, fit_cycles: Sequence[Cycle],
                 engine: str | None = None) -> None:
        self.config = config
        self.cycles = list(fit_cycles)
        self.parameters = searched(config, self.cycles)
        self.seeds = common_seeds(config.seed, config.replications)
        self.engine = engine

    def suggest(self, trial: Any) -> dict[str, float]:
        return {p.name: p.suggest(trial) for p in self.parameters}

    def __call__(self, trial: Any) -> float:
        with _STOP.trial():
            values = self.suggest(trial)
            fits = [evaluate_cycle(c, self.config.parameters, values, self.seeds,
                                   self.config.loss, self.engine) for c in self.cycles]
            trial.set_user_attr("losses", {fit.name: fit.loss for fit in fits})
            trial.set_user_attr("worker_pid", os.getpid())  # which process ran it
            return total_loss(fits, self.cycles)


class _StopRequest:
    """SIGTERM in a pool worker: fail the running trial, or the next one before it starts.

    Optuna records a trial whose objective raises ``KeyboardInterrupt`` as failed, then
    re-raises. Raised anywhere else (while Optuna stores a trial) the exception would leave
    the trial RUNNING in the study, so outside the objective the signal is only noted.
    """

    def __init__(self) -> None:
        self.requested = False
        self.in_trial = False

    def handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        if self.in_trial:
            self.interrupt()

    def interrupt(self) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)  # no traceback per worker
        raise KeyboardInterrupt("stopped")

    @contextmanager
    def trial(self) -> Iterator[None]:
        if self.requested:
            self.interrupt()
        self.in_trial = True
        try:
            yield
        finally:
            self.in_trial = False


_STOP = _StopRequest()  # this process's; only pool workers install its SIGTERM handler


def open_study(config: TuneConfig, url: str, name: str, fit_cycles: Sequence[Cycle],
               sampler: Any = None, storage: Any = None) -> Any:
    """Create the study or load it to continue; refuse one made with another config."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = storage if storage is not None else make_storage(url)
    study = optuna.create_study(storage=storage, study_name=name, direction="minimize",
                                sampler=sampler, load_if_exists=True)
    fingerprint = config.fingerprint()
    cycles = [c.name for c in fit_cycles]
    stored = study.user_attrs.get(FINGERPRINT_ATTR)
    if stored is None and not study.trials:
        study.set_user_attr(FINGERPRINT_ATTR, fingerprint)
        study.set_user_attr(FIT_CYCLES_ATTR, cycles)
    elif stored != fingerprint or study.user_attrs.get(FIT_CYCLES_ATTR) != cycles:
        raise UsageError(f"--study {name}: the study in {url} was made with a different "
                         f"config or cycles; allowed: the same config ({config.source}), or a "
                         "new --study name")
    return study


class Progress:
    """Optuna callback: this worker's trials as the sweep shows its runs (stderr lines or a
    bar, see ``experiments.progress``), with the study's best loss so far."""

    def __init__(self, label: str, total: int, mode: str | None = None) -> None:
        from ..experiments.progress import Progress as Bar

        self.bar = Bar(total, label=label, mode=mode, unit="trial")

    def __call__(self, study: Any, trial: Any) -> None:
        try:
            self.bar.detail = f"best loss {study.best_value:.4f}"
        except ValueError:  # no completed trial yet
            self.bar.detail = "best loss none yet"
        failed = int(trial.state.name == "FAIL")
        self.bar.update(1, failed)

    def close(self) -> None:
        self.bar.close()


@dataclass(frozen=True)
class WorkerJob:
    """What one worker process needs: it reloads the config and opens the study itself."""

    config_path: str
    url: str
    study: str
    n_trials: int
    holdout: str | None
    engine: str | None
    seed: int  # its sampler's seed (``worker_seed``)
    worker: int = 0
    quiet: bool = False
    progress: str | None = None  # bar | lines | off | None (a bar on a terminal)
    workers: int = 1  # how many workers share the trials (labels, bar or lines)


def run_worker(job: WorkerJob) -> None:
    """One worker: load the study and run exactly ``job.n_trials`` trials into it."""
    import optuna

    from ..errors import ScenarioError

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config = load_tune_config(job.config_path)
    fit = fit_cycles_for(config, job.holdout)
    study = open_study(config, job.url, job.study, fit, sampler=make_sampler(config, job.seed))
    quiet = job.quiet or job.progress == "off"
    label = f"{job.study} worker {job.worker}" if job.workers > 1 else job.study
    # Several processes cannot share one terminal bar: each worker prints lines then.
    mode = "lines" if job.workers > 1 and job.progress in (None, "bar") else job.progress
    callbacks = [] if quiet else [Progress(label, job.n_trials, mode)]
    try:
        study.optimize(Objective(config, fit, job.engine), n_trials=job.n_trials,
                       catch=(ScenarioError,), callbacks=callbacks)
    finally:
        for callback in callbacks:
            callback.close()


def _worker_main(job: WorkerJob) -> None:
    """A tuning worker in the pool; stopped (SIGTERM), it marks its running trial failed.

    The pool gives it ``STOP_GRACE`` seconds before SIGKILL, which would leave the trial
    RUNNING in the study.
    """
    previous = signal.signal(signal.SIGTERM, _STOP.handle)
    try:
        run_worker(job)
    except KeyboardInterrupt:
        os._exit(1)  # stopped: the trial is recorded; nothing else to hand back
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_workers(jobs: list[WorkerJob]) -> None:
    """One job per worker process, in the sweep's pool (dead workers, no orphans).

    The workers come from a fork server (never a fork of this process, which holds an open
    SQLite connection) and die with this process however it ends.
    """
    from ..experiments.evaluators import ProcessEvaluator, start_method

    failed = []
    with ProcessEvaluator(len(jobs), method=start_method(allow_fork=False)) as evaluator:
        for job, _, error in evaluator.imap_unordered(_worker_main, jobs):
            if error is not None:
                failed.append(f"tune-worker-{job.worker} ({type(error).__name__}: {error})")
    if failed:
        raise RuntimeError(f"tuning worker(s) {', '.join(sorted(failed))} failed; the study "
                           "keeps every finished trial (run again to continue)")


def shares(n_trials: int, workers: int) -> list[int]:
    """Trials per worker: N // W each, one more for the first N % W (sums to N)."""
    base, extra = divmod(n_trials, workers)
    return [base + (1 if i < extra else 0) for i in range(workers) if base or i < extra]


def optimize(config: TuneConfig, url: str, name: str, n_trials: int, workers: int = 1,
             holdout: str | None = None, engine: str | None = None,
             quiet: bool = False, progress: str | None = None, repeat: int = 0) -> Any:
    """Add exactly ``n_trials`` trials to the study, with ``workers`` processes.

    ``repeat``: the tuner seed (``tune --seeds``); 0 for the main study.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fit = fit_cycles_for(config, holdout)
    study = open_study(config, url, name, fit)
    before = len(study.trials)
    if n_trials == 0:
        return study
    sessions = make_storage(url)
    session, marker = claim_session(sessions, name, before)
    try:
        jobs = [WorkerJob(config.source, url, name, n, holdout, engine,
                          worker_seed(config.seed, before, i, session, repeat), i, quiet,
                          progress)
                for i, n in enumerate(shares(n_trials, workers))]
        jobs = [dataclasses.replace(job, workers=len(jobs)) for job in jobs]
        if len(jobs) == 1:
            run_worker(jobs[0])
        else:
            _run_workers(jobs)
    finally:
        release_session(sessions, marker)
    return optuna.load_study(study_name=name, storage=make_storage(url))


# --- the fitted result ------------------------------------------------------------


@dataclass(frozen=True)
class FitResult:
    """The best parameters of a study and every cycle simulated with them."""

    study_name: str
    best_trial: int
    best_loss: float
    values: dict[str, float]  # tuned values of every parameter (defaults where unidentified)
    unidentified: tuple[str, ...]  # parameters left at their default (no fit cycle has them)
    fit_cycles: tuple[str, ...]
    holdout: str | None
    fits: dict[str, CycleFit]  # every cycle of the config, fit and held out


def fitted(config: TuneConfig, study: Any, holdout: str | None = None,
           engine: str | None = None) -> FitResult:
    """Evaluate the study's best trial on every cycle (held-out one included)."""
    from optuna.trial import TrialState

    fit = fit_cycles_for(config, holdout)
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        raise UsageError(f"--study {study.study_name}: no completed trial yet; allowed: "
                         "--trials N >= 1")
    best = study.best_trial
    values = {p.name: p.start for p in config.parameters}
    values.update(best.params)
    unidentified = tuple(p.name for p in config.parameters if p.name not in best.params)
    seeds = common_seeds(config.seed, config.replications)
    fits = {c.name: evaluate_cycle(c, config.parameters, values, seeds, config.loss, engine)
            for c in config.cycles}
    return FitResult(study.study_name, best.number, float(best.value), values, unidentified,
                     tuple(c.name for c in fit), holdout, fits)

