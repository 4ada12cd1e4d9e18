"""Files written atomically, output folders checked before any work, provenance.

Every file is written to a temporary name in its folder and renamed into place, so
an interrupted command never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import UsageError

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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes_via(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Atomically write ``path`` with a function that writes to a given path."""
    return _atomic(Path(path), write)


def write_text(path: str | Path, text: str) -> Path:
    return _atomic(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
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
