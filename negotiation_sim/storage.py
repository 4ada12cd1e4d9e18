"""Results folders: checked before any work, written atomically, with one manifest layout.

Every command that writes a folder (``run --out``, ``sweep``, ``tune``, ``sensitivity``)
writes it through a ``ResultsFolder``: each file goes to a temporary name in the folder
and is renamed into place, so an interrupted or failing write never leaves a half-written
file (an older version stays whole). The folder's ``manifest.json`` has the same keys for
every command (``MANIFEST_KEYS``): the command and its command line, the config file and
the config resolved (referenced scenarios included), the seeds, when, package versions,
git commit, and the outputs written; then the command's own details. ``read_run`` reads
back a folder written by ``run --out`` (``plot`` draws from it).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import UsageError, WriteError

MANIFEST = "manifest.json"
MANIFEST_KEYS = ("command", "command_line", "config", "resolved_config", "seeds", "created",
                 "versions", "git_commit", "outputs")
RUN_FILES = ("trace.csv", "trace.parquet", "outcome.json", MANIFEST)
RUN_SEED_SCHEME = "SMAModel(scenario, rng=base_seed): the run's one seed"
PACKAGES = ("negotiation_sim", "mesa", "numpy", "pandas", "pyarrow", "dask", "distributed",
            "optuna", "SALib", "scipy", "matplotlib")


def prepare_dir(path: str | Path, flag: str = "--out") -> Path:
    """Create ``path`` if needed and prove it is writable, or raise ``UsageError``."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"{flag} {out}: cannot write there ({reason}); allowed: a writable "
                         "folder") from None
    return out


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through ``write`` to a temporary file beside ``path``, then rename it into place.

    On any failure the temporary file is removed and ``path`` keeps what it held before.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a quota: one line naming the file
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def makedirs(path: Path) -> Path:
    """``mkdir -p`` whose failure (a full disk) is a one-line ``WriteError``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(path, exc) from None
    return path


def append_line(path: str | Path, line: str) -> None:
    """Append one line and flush it to disk (a torn last line is the reader's to skip)."""
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line.rstrip("\n") + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WriteError(path, exc) from None


def write_bytes_via(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Atomically write ``path`` with a function that writes to a given path."""
    return _atomic(Path(path), write)


def write_text(path: str | Path, text: str) -> Path:
    return _atomic(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """``data`` as indented JSON; a value JSON cannot hold raises before anything is written."""
    return write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")


def write_csv(path: str | Path, df: pd.DataFrame) -> Path:
    return _atomic(Path(path), lambda p: df.to_csv(p, index=False))


def write_parquet(path: str | Path, df: pd.DataFrame) -> Path:
    return _atomic(Path(path), lambda p: df.to_parquet(p, index=False))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def git_commit(where: str | Path = ".") -> str | None:
    """HEAD commit of the repository around ``where``, if there is one."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def provenance() -> dict[str, Any]:
    """What a manifest records about how a result was made."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "git_commit": git_commit(Path(__file__).resolve().parent),
    }


def manifest(command: str, *, config: str | None, resolved_config: dict[str, Any],
             seeds: dict[str, Any], command_line: str | None = None,
             outputs: Sequence[str] = (), **details: Any) -> dict[str, Any]:
    """The one manifest layout: ``MANIFEST_KEYS`` in that order, then the command's details.

    ``seeds`` holds at least ``base_seed`` and ``scheme`` (how every run's seed follows).
    """
    missing = [key for key in ("base_seed", "scheme") if key not in seeds]
    if missing:
        raise ValueError(f"seeds: missing {', '.join(missing)}")
    return {"command": command, "command_line": command_line,
            "config": None if config is None else str(config),
            "resolved_config": resolved_config, "seeds": dict(seeds), **provenance(),
            "outputs": list(outputs), **details}


class ResultsFolder:
    """An output folder: checked once, every file written atomically, outputs recorded.

    ``create`` makes the folder (or fails with the one-line ``UsageError`` of
    ``prepare_dir``); each ``write_*`` records the file's name in ``outputs``, which
    ``write_manifest`` lists.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.outputs: list[str] = []

    @classmethod
    def create(cls, path: str | Path, flag: str = "--out") -> ResultsFolder:
        return cls(prepare_dir(path, flag))

    def file(self, name: str) -> Path:
        """The path of output ``name`` (its folder made), recorded as an output."""
        path = self.path / name
        makedirs(path.parent)
        if name not in self.outputs:
            self.outputs.append(name)
        return path

    def subfolder(self, name: str) -> ResultsFolder:
        """A folder inside this one (recorded here as ``name/``) with its own outputs."""
        sub = ResultsFolder(self.path / name)
        makedirs(sub.path)
        if f"{name}/" not in self.outputs:
            self.outputs.append(f"{name}/")
        return sub

    def write_via(self, name: str, write: Callable[[Path], None]) -> Path:
        path = self.path / name
        makedirs(path.parent)
        _atomic(path, write)
        return self.file(name)

    def write_text(self, name: str, text: str) -> Path:
        return self.write_via(name, lambda p: p.write_text(text, encoding="utf-8"))

    def write_json(self, name: str, data: Any) -> Path:
        text = json.dumps(data, indent=2, default=_jsonable) + "\n"  # fails before any file
        return self.write_text(name, text)

    def write_csv(self, name: str, df: pd.DataFrame) -> Path:
        return self.write_via(name, lambda p: df.to_csv(p, index=False))

    def write_parquet(self, name: str, df: pd.DataFrame) -> Path:
        return self.write_via(name, lambda p: df.to_parquet(p, index=False))

    def write_png(self, name: str, fig: Any) -> Path:
        return self.write_via(name, lambda p: fig.savefig(p, format="png"))

    def write_manifest(self, command: str, **fields: Any) -> Path:
        """``manifest.json`` in the one layout, listing every output written so far."""
        self.file(MANIFEST)
        return self.write_json(MANIFEST, manifest(command, outputs=self.outputs, **fields))


LOCK = ".lock"


class FolderLock:
    """One writer at a time in a results folder: ``fcntl.flock`` on ``DIR/.lock``.

    The lock file holds the holder's pid, which a refused writer names. The kernel drops
    a flock when its holder dies, however it dies (``kill -9`` included), so a lock left
    by a dead process is simply taken over. The file itself stays: removing it would let
    two writers lock two different files. (flock is advisory and per machine: two
    machines writing one folder on a network share are not kept apart.)
    """

    def __init__(self, folder: str | Path, flag: str = "--out") -> None:
        self.path = Path(folder) / LOCK
        self.flag = flag
        self._fd: int | None = None

    @staticmethod
    def holder(folder: str | Path) -> str | None:
        """The pid (as text; "" if unreadable) holding ``folder``'s lock, or None if free."""
        import fcntl

        path = Path(folder) / LOCK
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _lock_pid(fd) or ""
        finally:
            os.close(fd)
        return None

    def acquire(self) -> FolderLock:
        """Take the lock or raise ``UsageError`` naming the holder's pid."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WriteError(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _lock_pid(fd)
            os.close(fd)
            raise UsageError(in_use(self.path.parent, pid, self.flag)) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:  # a full disk: the lock holds all the same, only unnamed
            pass
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def in_use(folder: Path, pid: str | None, flag: str = "--out") -> str:
    """The one line for a folder another process is writing."""
    who = f"pid {pid}" if pid else "another process"
    return (f"{flag} {folder}: in use by {who} (lock {folder / LOCK}); allowed: wait for it to "
            "finish or stop it, or another folder")


def _lock_pid(fd: int) -> str | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text if text.isdigit() else None


# --- one run: `run --out` writes it, `plot` reads it -------------------------------


@dataclass(frozen=True)
class RunRecord:
    """A run read back from its folder: outcome, trace and manifest."""

    path: Path
    outcome: dict[str, Any]
    trace: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def seed(self) -> int | None:
        seeds = self.manifest.get("seeds")
        seed = seeds.get("base_seed") if isinstance(seeds, dict) else self.manifest.get("seed")
        return seed if isinstance(seed, int) else None

    @property
    def scenario(self) -> Any:
        """The run's scenario, rebuilt from the manifest's resolved config."""
        from .scenario import from_dict

        return from_dict(self.manifest["resolved_config"], str(self.path / MANIFEST))


def write_run(folder: ResultsFolder, result: Any, *, config: str | None,
              overrides: dict[str, Any] | None = None,
              command_line: str | None = None) -> ResultsFolder:
    """Write one run (an ``api.RunResult``): its trace, outcome and manifest."""
    folder.write_csv("trace.csv", result.trace)
    folder.write_parquet("trace.parquet", result.trace)
    folder.write_json("outcome.json", result.outcome.to_dict())
    folder.write_manifest("run", command_line=command_line, config=config,
                          resolved_config=result.scenario.resolved,
                          seeds={"base_seed": result.seed, "scheme": RUN_SEED_SCHEME},
                          overrides=overrides or {})
    return folder


READ_RUN_FILES = ("trace.parquet", MANIFEST, "outcome.json")
_RUN_SOURCE = "`negotiation-sim run --out`"


def read_run(folder: str | Path) -> RunRecord:
    """Read a folder written by ``run --out``; anything missing or bad -> ``UsageError``."""
    from .outcome import OUTCOME_FIELDS, TRACE_FIELDS

    folder = Path(folder)
    missing = [name for name in READ_RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise UsageError(f"{folder}: missing {', '.join(missing)}; allowed: a folder written "
                         f"by {_RUN_SOURCE}")
    meta = _read_json(folder / MANIFEST)
    outcome = _read_json(folder / "outcome.json")
    if not isinstance(meta.get("resolved_config"), dict):
        raise UsageError(f"{folder / MANIFEST}: resolved_config: missing or not a table; "
                         f"allowed: a manifest written by {_RUN_SOURCE}")
    lacking = [key for key in OUTCOME_FIELDS if key not in outcome]
    if lacking:
        raise UsageError(f"{folder / 'outcome.json'}: missing {', '.join(lacking)}; allowed: "
                         f"an outcome written by {_RUN_SOURCE}")
    try:
        trace = pd.read_parquet(folder / "trace.parquet")
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder / 'trace.parquet'}: cannot read ({exc}); allowed: a "
                         f"Parquet trace written by {_RUN_SOURCE}") from None
    lacking = [col for col in TRACE_FIELDS if col not in trace.columns]
    if lacking:
        raise UsageError(f"{folder / 'trace.parquet'}: missing columns {', '.join(lacking)}; "
                         f"allowed: a trace with columns {', '.join(TRACE_FIELDS)}")
    return RunRecord(folder, outcome, trace, meta)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """A results folder's ``manifest.json`` (any command's), or a one-line ``UsageError``."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise UsageError(f"{folder}: no {MANIFEST}; allowed: a folder written by run --out, "
                         "sweep, tune or sensitivity")
    return _read_json(path, "run --out, sweep, tune or sensitivity")


def _read_json(path: Path, source: str = _RUN_SOURCE) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read as JSON ({exc}); allowed: a file written by "
                         f"{source}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a JSON object; allowed: a file written by {source}")
    return data
