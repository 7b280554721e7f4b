"""Stack benchmarks: start-up (cold/warm), idle memory (PSS), scheduling latency and throughput.

Each config gets its own isolated stack of the chosen runtime (own env file, state, free ports;
Compose: its own project), started from scratch one after the other, so the tuned config and
Airflow's defaults are compared on the same machine within minutes of each other. The bench
DAGs (bench/dags/) are the stack's only DAGs: the catalogue in dags/ is not loaded.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.stack import line, open_stack, project, settings
from airkit.stack.compose import ComposeProject
from bench.stats import gaps, percentile, pss_kib, rate, ratio, target

REPO = project.root()
BENCH_DAGS = Path(__file__).resolve().parent / "dags"
WORK = REPO / ".state" / "bench"

#: The knobs .env.example (and, on 2.11, airkit.stack.line) tunes, with Airflow's own defaults
#: (celery: the celery provider's). The "airflow-defaults" stack sets each of them back to these
#: values; everything else (ports, secrets, executor, auth) is the same for both stacks.
AIRFLOW_DEFAULTS = {
    "AIRFLOW__CELERY__WORKER_AUTOSCALE": "",  # unset: a fixed pool of worker_concurrency, 16
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "300",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "2",
    "AIRFLOW__DAG_PROCESSOR__STALE_BUNDLE_CLEANUP_INTERVAL": "1800",
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "5",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "10",
    **({"AIRFLOW__WEBSERVER__WORKERS": "4"} if line.MAJOR == 2 else {}),
}
CONFIGS = ("tuned", "airflow-defaults")
OFFICIAL_COMPOSE_MIB = 4096  # "at least 4GB of memory" in Airflow's docker-compose quick start


def config_overrides(config: str) -> dict[str, str]:
    if config == "tuned":
        return {}
    if config == "airflow-defaults":
        return dict(AIRFLOW_DEFAULTS)
    raise ValueError(f"unknown config {config!r}; choose from {CONFIGS}")


def process_tree_pss(pids: list[int]) -> tuple[int, int]:
    """(PSS KiB summed over the processes and all their descendants, process count)."""
    import psutil

    seen: set[int] = set()
    total = 0
    for pid in pids:
        try:
            procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            try:
                total += pss_kib(Path(f"/proc/{p.pid}/smaps_rollup").read_text())
                seen.add(p.pid)
            except (OSError, ValueError):
                continue  # exited meanwhile, or a kernel thread
    return total, len(seen)


class BenchStack:
    """An isolated stack of one config, loading only bench/dags/ (the catalogue is not loaded)."""

    def __init__(self, runtime: str, config: str, workdir: Path):
        self.runtime, self.config, self.workdir = runtime, config, workdir
        if (workdir / ".env").exists():
            self._open().stop(remove_state=True)  # a previous bench run that died half-way
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        settings.isolated_env_file(project.env_example(), workdir / ".env", config_overrides(config))
        self.stack = self._open()
        self.api = self.stack.api

    def _open(self):
        if self.runtime == "local":
            return open_stack("local", self.workdir / ".env", state_dir=self.workdir / "state", dags_dir=BENCH_DAGS)
        compose = ComposeProject(name=f"airkit-bench-{self.config}", logs_dir=self.workdir / "logs")
        return open_stack("compose", self.workdir / ".env", compose_project=compose, dags_dir=BENCH_DAGS)

    def start(self) -> None:
        self.stack.start(float(os.environ.get("UP_TIMEOUT") or 900))

    def stop(self) -> None:
        self.stack.stop()

    def destroy(self) -> None:
        self.stack.stop(remove_state=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def metadata_db(self):
        import psycopg2

        return psycopg2.connect(self.stack.endpoints.metadata_dsn)

    def components(self) -> dict[str, list[int]]:
        """Component name -> host pids of its top process(es); a negative pid counts that process
        alone, not its tree."""
        return self._local_components() if self.runtime == "local" else self._compose_components()

    def _local_components(self) -> dict[str, list[int]]:
        out = {name: [pid] for name, pid in self.stack.pids().items()}
        sup = self.stack.supervisorctl("pid", check=False).stdout.strip()
        if sup.isdigit():
            # supervisord's own process only; its children are counted under their programs.
            out["supervisord"] = [-int(sup)]
        return out

    def _compose_components(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for cid in self.stack.compose("ps", "-q").stdout.split():
            info = subprocess.run(["docker", "inspect", "-f", '{{index .Config.Labels "com.docker.compose.service"}} '
                                   "{{.State.Pid}}", cid], capture_output=True, text=True)
            service, _, pid = info.stdout.strip().partition(" ")
            if pid.isdigit() and pid != "0":
                out.setdefault(service, []).append(int(pid))
                # The containerd shim that keeps each container: memory the stack costs too
                # (dockerd/containerd themselves are shared by every project on the engine).
                shim = _parent_pid(int(pid))
                if shim:
                    out.setdefault("container shims", []).append(-shim)
        return out


def _parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def make_stack(runtime: str, config: str) -> BenchStack:
    return BenchStack(runtime, config, WORK / f"{runtime}-{config}")


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by the processes (negative pid: that process alone) and their trees,
    including children that already exited and were reaped (a worker's finished task forks)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            top = psutil.Process(abs(pid))
            procs = [top] if pid < 0 else [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for proc in procs:
            try:
                t = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system + (t.children_user + t.children_system if pid > 0 else 0)
    return total


def footprint(stack: BenchStack, cpu_window: float) -> dict[str, Any]:
    """Idle PSS per component, and the CPU each uses while idle over ``cpu_window`` seconds."""
    parts = sorted(stack.components().items())
    before = {name: _cpu_seconds(pids) for name, pids in parts}
    time.sleep(cpu_window)  # measuring a rate over a fixed window, not waiting for a condition
    components = {}
    for name, pids in parts:
        # A negative pid means that process alone, not its tree (supervisord, container shims).
        alone = [-p for p in pids if p < 0]
        kib, count = process_tree_pss([p for p in pids if p > 0])
        for pid in alone:
            kib += pss_kib(Path(f"/proc/{pid}/smaps_rollup").read_text())
            count += 1
        cpu_pct = round(max(_cpu_seconds(pids) - before[name], 0.0) / cpu_window * 100, 1)
        components[name] = {"pss_mib": round(kib / 1024, 1), "processes": count, "idle_cpu_pct": cpu_pct}
    return {"components": components, "config": stack.config, "cpu_window_s": cpu_window,
            "total_mib": round(sum(c["pss_mib"] for c in components.values()), 1),
            "idle_cpu_pct_total": round(sum(c["idle_cpu_pct"] for c in components.values()), 1)}


def _dag_runs(stack: BenchStack, dag_id: str, runs: int, first_day: int, timeout: float,
              log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Trigger `runs` runs one after the other; each run's task instances (start/end, epoch s)."""
    out = []
    for i in range(runs):
        day = (dt.date(2024, 1, 1) + dt.timedelta(days=first_day + i)).isoformat()
        run_id = f"bench_{day}"
        stack.api.trigger(dag_id, day, run_id)
        stack.api.wait_for_run(dag_id, run_id, timeout=timeout)
        conn = stack.metadata_db()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT start_date FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
                (run_start,) = cur.fetchone()
                cur.execute("SELECT task_id, start_date, end_date, queued_dttm FROM task_instance "
                            "WHERE dag_id = %s AND run_id = %s ORDER BY task_id", (dag_id, run_id))
                rows = cur.fetchall()
                tis = [(t, s.timestamp(), e.timestamp()) for t, s, e, _ in rows]
                queued = [q.timestamp() for *_, q in rows]
        finally:
            conn.close()
        out.append({"run_id": run_id, "run_start": run_start.timestamp(), "tis": tis, "queued": queued})
        log(f"stack[{stack.config}]: {dag_id} {run_id}: {len(tis)} tasks in "
            f"{max(e for _, _, e in tis) - run_start.timestamp():.1f}s")
    return out


def worker_settles(stack: BenchStack, idle_processes: int, timeout: float = 90) -> dict[str, float | None]:
    """Seconds until the worker's process tree is back to its idle size after a burst, and its PSS
    then: an autoscaled pool gives its grown slots back (Celery: 30 s after it last grew), a fixed
    one keeps them. None for both when it stays bigger for `timeout` seconds."""
    pids = [p for p in stack.components().get("airflow-worker", []) if p > 0]
    t0 = time.monotonic()
    try:
        kib, _ = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2),
                          retry=retry_if_result(lambda tree: tree[1] > idle_processes))(process_tree_pss, pids)
    except RetryError:
        return {"worker_settle_s": None, "worker_pss_settled_mib": None}
    return {"worker_settle_s": round(time.monotonic() - t0, 1), "worker_pss_settled_mib": round(kib / 1024, 1)}


def scheduling(stack: BenchStack, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    fan_dag = "bench_fanout_small" if quick else "bench_fanout"
    for dag_id in ("bench_chain", fan_dag):
        stack.api.wait_for_dag(dag_id, timeout=300)
    chain_runs = _dag_runs(stack, "bench_chain", 1 if quick else 3, 0, 900, log)
    all_gaps = [g for r in chain_runs for g in gaps([(s, e) for _, s, e in r["tis"]])]
    # Where the gap goes: upstream end -> downstream queued (scheduler: mini-scheduler, loop,
    # idle sleep) and queued -> started (broker, worker fork, `airflow tasks run` start-up).
    to_queued = [r["queued"][i + 1] - r["tis"][i][2] for r in chain_runs for i in range(len(r["tis"]) - 1)]
    to_started = [r["tis"][i][1] - r["queued"][i] for r in chain_runs for i in range(1, len(r["tis"]))]
    # CPU each component spends on the fan-out: shows whether throughput is bound by the
    # machine (then no setting doubles it) or by the configuration (slots, loops, sleeps).
    parts = stack.components()
    before = {name: _cpu_seconds(pids) for name, pids in parts.items()}
    fan = _dag_runs(stack, fan_dag, 1, 100, 1800, log)[0]
    fan_cpu = {name: round(max(_cpu_seconds(pids) - before[name], 0.0), 1) for name, pids in parts.items()}
    # What the worker keeps after running tasks: its pool processes grow and stay grown.
    worker_kib, _ = process_tree_pss([p for p in parts.get("airflow-worker", []) if p > 0])
    fan_seconds = max(e for _, _, e in fan["tis"]) - fan["run_start"]
    cpu_per_task = sum(fan_cpu.values()) / len(fan["tis"])
    return {
        "chain_tasks": len(chain_runs[0]["tis"]),
        "chain_runs": len(chain_runs),
        "chain_gaps_s": [round(g, 3) for g in all_gaps],
        "chain_gap_p50_s": percentile(all_gaps, 50),
        "chain_gap_p95_s": percentile(all_gaps, 95),
        "chain_end_to_queued_p50_s": percentile(to_queued, 50),
        "chain_queued_to_start_p50_s": percentile(to_started, 50),
        "fanout_tasks": len(fan["tis"]),
        "fanout_seconds": round(fan_seconds, 2),
        "fanout_tasks_per_s": rate(len(fan["tis"]), fan_seconds),
        # Includes the bench's own REST polling (webserver) while it waits for the run.
        "fanout_cpu_s": fan_cpu,
        "fanout_cpu_s_per_task": round(cpu_per_task, 3),
        "fanout_cpu_bound_tasks_per_s": rate(os.cpu_count() or 1, cpu_per_task),
        "worker_pss_after_mib": round(worker_kib / 1024, 1),
    }


def run(runtime: str, quick: bool, log: Callable[[str], None] = print) -> dict[str, Any]:
    configs = CONFIGS[:1] if quick else CONFIGS
    result: dict[str, Any] = {"runtime": runtime, "startup": {}, "scheduling": {}, "footprints": {}, "targets": []}
    idle_wait = 5 if quick else 30
    for config in configs:
        stack = make_stack(runtime, config)
        try:
            log(f"stack[{config}]: cold start ({runtime})")
            t0 = time.monotonic()
            stack.start()
            cold = time.monotonic() - t0
            result["startup"][config] = {"cold_s": round(cold, 1)}
            log(f"stack[{config}]: healthy after {cold:.1f}s; {idle_wait}s settle, then {idle_wait}s of "
                "idle CPU and memory")
            # A bounded settle, not a synchronisation: idle numbers are read after the start-up burst.
            time.sleep(idle_wait)
            fp = footprint(stack, cpu_window=idle_wait)
            fp["idle_after_s"] = idle_wait
            result["footprints"][config] = fp
            log(f"stack[{config}]: idle PSS {fp['total_mib']} MiB, idle CPU {fp['idle_cpu_pct_total']}% of one core")
            result["scheduling"][config] = scheduling(stack, quick, log)
            if not quick:
                idle_worker = fp["components"].get("airflow-worker", {}).get("processes", 0)
                result["scheduling"][config].update(worker_settles(stack, idle_worker))
                log(f"stack[{config}]: warm restart (state kept)")
                stack.stop()
                t0 = time.monotonic()
                stack.start()
                result["startup"][config]["warm_s"] = round(time.monotonic() - t0, 1)
        finally:
            log(f"stack[{config}]: removing")
            stack.destroy()

    result["footprint"] = result["footprints"].get("tuned")
    tuned, default = result["scheduling"].get("tuned", {}), result["scheduling"].get("airflow-defaults", {})
    up_goal = 30 if runtime == "local" else 60
    result["targets"] += [
        target(f"{runtime}: chain gap p50 (tuned)", tuned.get("chain_gap_p50_s"), "<=", 0.5, " s"),
        target(f"{runtime}: fan-out tuned / defaults", ratio(tuned.get("fanout_tasks_per_s"),
                                                           default.get("fanout_tasks_per_s")), ">=", 2.0, "x"),
        target(f"{runtime}: cold start (tuned)", result["startup"].get("tuned", {}).get("cold_s"), "<=", up_goal, " s"),
        target(f"{runtime}: warm start (tuned)", result["startup"].get("tuned", {}).get("warm_s"), "<=", up_goal, " s"),
        target(f"{runtime}: idle PSS total (tuned)", (result["footprint"] or {}).get("total_mib"), "<=", 1228.8, " MiB"),
    ]
    return result
