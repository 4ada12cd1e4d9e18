"""Sweep throughput and memory: runs/s and peak RSS at 1 and 2 workers, and mesa.batch_run.

    python benchmarks/bench_sweep.py                      # configs/sweep_sma11.toml
    python benchmarks/bench_sweep.py --engines mesa --no-batch-run

Every case runs in a fresh Python process (so peak memory is that case's own, and
``mesa.batch_run``'s global ``spawn`` setting touches nothing else), writes into a
temporary folder, and reports its wall time from the start of the sweep to the end
of the results folder (workers' start-up included); the fastest of ``--repeat`` runs
is shown, since the machine may be shared. Peak RSS: the main process's, and
the largest worker's (workers are reaped children). The sweeps' runs.parquet digests
must agree across worker counts; the table shows them.

``mesa.batch_run`` runs the same points and replications (``SMAModel`` keyword
parameters; its DataCollector on, as batch_run needs), with ``number_processes`` 1 and 2.
Its seeds differ from the sweep's (it has no per-run seed scheme), the work is the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peaks() -> tuple[float, float]:
    """Peak RSS (MB) of this process and of its largest reaped child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def case_sweep(config: str, engine: str, workers: int, replications: int | None) -> dict:
    """One sweep through negotiation_sim's runner, in this process."""
    import dataclasses

    from negotiation_sim.experiments import load_sweep, run_sweep

    cfg = load_sweep(config)
    if replications:
        cfg = dataclasses.replace(cfg, replications=replications)
    out = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        started = time.perf_counter()
        report = run_sweep(cfg, workers=workers, engine=engine, out=out, force=True,
                           progress="off")
        seconds = time.perf_counter() - started
        digest = hashlib.sha256((out / "runs.parquet").read_bytes()).hexdigest()[:12]
        chunk_size = report.manifest["chunk_size"]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    own, child = _peaks()
    return {"runs": report.runs, "failed": report.failed, "seconds": seconds,
            "main_mb": own, "worker_mb": child if workers > 1 else None, "digest": digest,
            "chunk_size": chunk_size}


def case_batch_run(config: str, processes: int) -> dict:
    """The same points and replications through mesa.batch_run."""
    import inspect

    import mesa

    from negotiation_sim import SMAModel
    from negotiation_sim.experiments import load_sweep

    cfg = load_sweep(config)
    if cfg.sampler != "grid":
        raise SystemExit("mesa.batch_run needs a grid sweep")
    params: dict = {"scenario": cfg.scenario}
    for p in cfg.parameters:
        params[p.path.replace(".", "_")] = list(p.values or ())
    seeds = list(range(cfg.replications))
    kwargs: dict = {"number_processes": processes, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        kwargs["rng"] = seeds  # Mesa 3.5: one entry per replication
    else:
        kwargs["iterations"] = len(seeds)  # Mesa 3.3
    started = time.perf_counter()
    rows = mesa.batch_run(SMAModel, params, **kwargs)
    seconds = time.perf_counter() - started
    own, child = _peaks()
    return {"runs": len(rows), "failed": 0, "seconds": seconds, "main_mb": own,
            "worker_mb": child if processes > 1 else None, "digest": "-", "chunk_size": None}


def run_case(argv: list[str], repeat: int) -> dict:
    """The fastest of ``repeat`` fresh-process runs (peak memory: the largest seen)."""
    results = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--case", *argv],
                              capture_output=True, text=True, check=False, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"case {argv} failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(results, key=lambda r: r["seconds"])
    best["main_mb"] = max(r["main_mb"] for r in results)
    if best["worker_mb"] is not None:
        best["worker_mb"] = max(r["worker_mb"] for r in results)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sweep_sma11.toml"))
    parser.add_argument("--engines", default=None, help="comma-separated (default: every "
                        "engine, the package default first)")
    parser.add_argument("--scaled", type=int, default=200, help="also run the fast engines "
                        "with this many replications (0: skip)")
    parser.add_argument("--no-batch-run", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="fresh runs per case; the "
                        "fastest is shown (the machine may be shared)")
    parser.add_argument("--case", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        kind, *rest = args.case
        if kind == "sweep":
            config, engine, workers, reps = rest
            result = case_sweep(config, engine, int(workers), int(reps) or None)
        else:
            config, processes = rest
            result = case_batch_run(config, int(processes))
        print(json.dumps(result))
        return

    import mesa

    from negotiation_sim import engine as engine_module
    from negotiation_sim.experiments import load_sweep

    cfg = load_sweep(args.config)
    default = getattr(engine_module, "DEFAULT_ENGINE", "mesa")
    engines = args.engines.split(",") if args.engines else sorted(
        engine_module.ENGINES, key=lambda e: e != default)
    print(f"{cfg.name}: {cfg.n_points} points x {cfg.replications} replications = "
          f"{cfg.n_runs:,} runs; Python {sys.version.split()[0]}, Mesa {mesa.__version__}, "
          f"default engine {default}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} before")
    rows = []
    cases = [(e, cfg.replications) for e in engines]
    if args.scaled:
        cases += [(e, args.scaled) for e in engines if e != "mesa"]
    for engine, reps in cases:
        base = None
        for workers in (1, 2):
            r = run_case(["sweep", args.config, engine, str(workers), str(reps)], args.repeat)
            rate = r["runs"] / r["seconds"]
            base = base or rate
            rows.append((f"sweep ({reps} reps)", engine, workers, r, rate, rate / base))
    if not args.no_batch_run:
        base = None
        for processes in (1, 2):
            r = run_case(["batch_run", args.config, str(processes)], args.repeat)
            rate = r["runs"] / r["seconds"]
            base = base or rate
            rows.append(("mesa.batch_run", "mesa", processes, r, rate, rate / base))

    print(f"load average {os.getloadavg()[0]:.2f} after")
    head = ("| method | engine | workers | chunk | runs | seconds | runs/s | vs 1 worker | "
            "peak RSS main MB | peak RSS worker MB | runs.parquet sha256 |")
    print(head)
    print("|" + "|".join(["---"] * (head.count("|") - 1)) + "|")
    for method, engine, workers, r, rate, ratio in rows:
        worker = "-" if r["worker_mb"] is None else f"{r['worker_mb']:.0f}"
        chunk = "-" if r["chunk_size"] is None else str(r["chunk_size"])
        print(f"| {method} | {engine} | {workers} | {chunk} | {r['runs']:,} | "
              f"{r['seconds']:.2f} | {rate:,.0f} | {ratio:.2f}x | {r['main_mb']:.0f} | "
              f"{worker} | {r['digest']} |")


if __name__ == "__main__":
    main()
