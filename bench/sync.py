"""Throughput and memory of the full sync against three baselines, on SQLite and PostgreSQL (DESIGN.md §8).

Every route loads the same data from the same simulator (a child process, :mod:`bench.simulator_ceiling`):
50,000 registrations (``anggota`` repeat, ~4.2 members) and 200,000 visits (``anak`` repeat), each route in a
process of its own so its peak memory is its own:

* ``floor``   requests + json + executemany upsert, one commit per 2,000-row page, no checks (SQLite);
* ``copy``    the same with psycopg 3 COPY into a temporary table + upsert (the PostgreSQL floor);
* ``pandas``  json_normalize + to_sql per page (not idempotent: a re-run duplicates rows);
* ``pyodk``   pyodk ``get_table`` (the whole form in one response) + json_normalize + to_sql;
* ``sync``    graduasi's sync: raw JSON of every version, typed tables, data-quality checks, ledger, cursor,
              reconciliation — then a second, no-change run (one conditional request per form).

It prints the simulator's own ceiling (a bare fetch of every page) beside them, the ratios the targets name,
and peak memory at 50,000 and at 250,000 households::

    .venv/bin/python bench/sync.py                                  # the whole table (about 15 minutes)
    .venv/bin/python bench/sync.py --households 5000 --visits 20000 --big 0 --backends sqlite   # a quick look
    .venv/bin/python bench/sync.py --profile --backends sqlite --big 0 --routes sync    # where the time goes

Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the load-test form ids (simulators.central.loadgen); not imported here, so a route's process holds only what
# the route itself imports (its peak memory is the route's)
REGISTRATION_ID, VISIT_ID = "loadtest_registrasi", "loadtest_kunjungan"

PG_ADMIN_URL = os.environ.get(
    "GRADUASI_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FORMS = (REGISTRATION_ID, VISIT_ID)
ROUTES = {"sqlite": ("floor", "pandas", "pyodk", "sync"), "postgres": ("copy", "pandas", "pyodk", "sync")}


# --- the routes (run inside a worker process) -----------------------------------------------------------------


@dataclass
class Target:
    url: str
    project_id: int
    email: str
    password: str
    page_size: int


def _session(t: Target) -> Any:
    import requests

    http = requests.Session()
    token = http.post(
        f"{t.url}/v1/sessions", json={"email": t.email, "password": t.password}, timeout=60
    ).json()
    http.headers["Authorization"] = f"Bearer {token['token']}"
    return http


def _pages(http: Any, t: Target, form_id: str) -> Any:
    url: str | None = (
        f"{t.url}/v1/projects/{t.project_id}/forms/{form_id}.svc/Submissions?$expand=*&$top={t.page_size}"
    )
    while url:
        doc = http.get(url, timeout=300).json()
        yield doc["value"]
        url = doc.get("@odata.nextLink")


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}/"))
        elif isinstance(value, list) or key.endswith("navigationLink"):
            continue
        else:
            out[f"{prefix}{key}"] = value
    return out


def _children(row: dict[str, Any]) -> tuple[str, list[dict[str, Any]]] | None:
    for key, value in row.items():
        if isinstance(value, list):
            return key, value
    return None


def _col(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _FloorTables:
    """Root and repeat table of a form, columns from the first page (a floor loader checks nothing)."""

    def __init__(self, form_id: str) -> None:
        self.form_id = form_id
        self.root_cols: list[str] | None = None
        self.child_cols: list[str] | None = None
        self.child_name = ""

    def prepare(self, rows: list[dict[str, Any]]) -> bool:
        if self.root_cols is not None or not rows:
            return False
        self.root_cols = list(_flatten(rows[0]))
        for row in rows:
            found = _children(row)
            if found and found[1]:
                self.child_name = found[0]
                self.child_cols = list(_flatten(found[1][0]))
                break
        return True

    def root_rows(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        cols = self.root_cols or []
        out = []
        for row in rows:
            flat = _flatten(row)
            out.append(tuple(_scalar(flat.get(c)) for c in cols))
        return out

    def child_rows(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        cols = self.child_cols or []
        out = []
        for row in rows:
            for pos, item in enumerate(row.get(self.child_name) or [], start=1):
                flat = _flatten(item)
                out.append((row["__id"], pos, *(_scalar(flat.get(c)) for c in cols)))
        return out


def _scalar(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float) else json.dumps(value)


def route_floor(t: Target, db_url: str) -> dict[str, Any]:
    """requests + json + executemany upsert into SQLite, one commit per page, no checks."""
    import sqlite3

    path = db_url.split("///", 1)[1]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    http = _session(t)
    per_form = {}
    for form_id in FORMS:
        started = time.perf_counter()
        tables = _FloorTables(form_id)
        n = 0
        root_sql = child_sql = ""
        for rows in _pages(http, t, form_id):
            if not rows:
                continue
            if tables.prepare(rows):
                cols = tables.root_cols or []
                conn.execute(
                    f'CREATE TABLE {_col(form_id)} ({", ".join(_col(c) for c in cols)}, PRIMARY KEY ("__id"))'
                )
                sets = ", ".join(f"{_col(c)} = excluded.{_col(c)}" for c in cols if c != "__id")
                root_sql = (f"INSERT INTO {_col(form_id)} VALUES ({', '.join('?' * len(cols))}) "
                            f"ON CONFLICT (\"__id\") DO UPDATE SET {sets}")  # fmt: skip
                ccols = ["parent", "pos", *(tables.child_cols or [])]
                child = _col(f"{form_id}_{tables.child_name}")
                conn.execute(
                    f'CREATE TABLE {child} ({", ".join(_col(c) for c in ccols)}, PRIMARY KEY ("__id"))'
                )
                csets = ", ".join(f"{_col(c)} = excluded.{_col(c)}" for c in ccols if c != "__id")
                child_sql = (f"INSERT INTO {child} VALUES ({', '.join('?' * len(ccols))}) "
                             f"ON CONFLICT (\"__id\") DO UPDATE SET {csets}")  # fmt: skip
            conn.execute("BEGIN")
            conn.executemany(root_sql, tables.root_rows(rows))
            conn.executemany(child_sql, tables.child_rows(rows))
            conn.execute("COMMIT")
            n += len(rows)
        per_form[form_id] = (n, time.perf_counter() - started)
    conn.close()
    return {"forms": per_form}


def route_copy(t: Target, db_url: str) -> dict[str, Any]:
    """requests + json + psycopg 3 COPY into a temporary table + upsert, one commit per page, no checks."""
    import psycopg

    conn = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"))
    http = _session(t)
    per_form = {}
    for form_id in FORMS:
        started = time.perf_counter()
        tables = _FloorTables(form_id)
        n = 0
        child = ""
        for rows in _pages(http, t, form_id):
            if not rows:
                continue
            if tables.prepare(rows):
                cols = tables.root_cols or []
                conn.execute(f"CREATE TABLE {_col(form_id)} ({', '.join(_col(c) + ' text' for c in cols)}, "
                             "PRIMARY KEY (\"__id\"))")  # fmt: skip
                ccols = ["parent", "pos", *(tables.child_cols or [])]
                child = f"{form_id}_{tables.child_name}"
                conn.execute(f"CREATE TABLE {_col(child)} ({', '.join(_col(c) + ' text' for c in ccols)}, "
                             "PRIMARY KEY (\"__id\"))")  # fmt: skip
                conn.commit()
            with conn.transaction():
                for table, cols, data in (
                    (form_id, tables.root_cols or [], tables.root_rows(rows)),
                    (child, ["parent", "pos", *(tables.child_cols or [])], tables.child_rows(rows)),
                ):
                    conn.execute(f"CREATE TEMP TABLE stage (LIKE {_col(table)}) ON COMMIT DROP")
                    with conn.cursor().copy("COPY stage FROM STDIN") as copy:
                        for row in data:
                            copy.write_row(row)
                    sets = ", ".join(f"{_col(c)} = excluded.{_col(c)}" for c in cols if c != "__id")
                    conn.execute(
                        f'INSERT INTO {_col(table)} SELECT * FROM stage ON CONFLICT ("__id") DO UPDATE SET {sets}'
                    )
                    conn.execute("DROP TABLE stage")
            n += len(rows)
        per_form[form_id] = (n, time.perf_counter() - started)
    conn.close()
    return {"forms": per_form}


def _frames(rows: list[dict[str, Any]]) -> tuple[Any, Any, str]:
    import pandas as pd

    found = next((k for r in rows for k, v in r.items() if isinstance(v, list)), None)
    if found:
        for r in rows:
            r.setdefault(found, [])  # json_normalize wants the record path in every row
    root = pd.json_normalize(rows, sep="/")
    root = root[[c for c in root.columns if not c.endswith("navigationLink") and c != found]]
    children = (
        pd.json_normalize(rows, record_path=found, meta=["__id"], meta_prefix="parent_", sep="/")
        if found
        else None
    )
    for frame in (root, children):
        if frame is not None:
            for c in frame.columns:
                if frame[c].dtype == object:
                    frame[c] = frame[c].map(lambda v: json.dumps(v) if isinstance(v, dict | list) else v)
    return root, children, found or ""


def route_pandas(t: Target, db_url: str) -> dict[str, Any]:
    """requests + json + pandas json_normalize + to_sql, page by page (appends: not idempotent)."""
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    http = _session(t)
    per_form = {}
    for form_id in FORMS:
        started = time.perf_counter()
        n = 0
        for rows in _pages(http, t, form_id):
            if not rows:
                continue
            root, children, name = _frames(rows)
            with engine.begin() as conn:
                root.to_sql(form_id, conn, if_exists="append", index=False)
                if children is not None:
                    children.to_sql(f"{form_id}_{name}", conn, if_exists="append", index=False)
            n += len(rows)
        per_form[form_id] = (n, time.perf_counter() - started)
    engine.dispose()
    return {"forms": per_form}


def route_pyodk(t: Target, db_url: str) -> dict[str, Any]:
    """pyodk get_table (the whole form in one response) + json_normalize + to_sql."""
    from pyodk._utils.config import CentralConfig, Config
    from pyodk.client import Client
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    config = Config(central=CentralConfig(base_url=t.url, username=t.email, password=t.password,
                                          default_project_id=t.project_id))  # fmt: skip
    per_form = {}
    with Client(config=config, cache_path=os.devnull + ".toml") as client:
        for form_id in FORMS:
            started = time.perf_counter()
            rows = client.submissions.get_table(form_id=form_id, expand="*")["value"]
            if not rows:
                per_form[form_id] = (0, time.perf_counter() - started)
                continue
            root, children, name = _frames(rows)
            with engine.begin() as conn:
                root.to_sql(form_id, conn, if_exists="append", index=False, chunksize=2000)
                if children is not None:
                    children.to_sql(
                        f"{form_id}_{name}", conn, if_exists="append", index=False, chunksize=2000
                    )
            per_form[form_id] = (len(rows), time.perf_counter() - started)
            del rows, root, children
    engine.dispose()
    return {"forms": per_form}


def route_sync(t: Target, db_url: str, profile: bool = False) -> dict[str, Any]:
    """graduasi's sync of both forms, then the same again with nothing changed."""
    from sync.central import CentralClient
    from sync.pageworker import peak_kib
    from sync.runner import sync_central_form
    from warehouse.db import make_engine

    engine = make_engine(db_url)
    per_form: dict[str, Any] = {}
    sizes = {"page_size": t.page_size} if t.page_size else {}  # 0: the sync's own default
    profiler = cProfile.Profile() if profile else None
    with CentralClient(t.url, t.email, t.password, t.project_id) as client:
        for form_id in FORMS:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            result = sync_central_form(engine, client, form_id, show_progress=False, **sizes)
            if profiler:
                profiler.disable()
            if result.status != "ok":
                raise SystemExit(f"sync of {form_id} failed: {result.error_class}: {result.error}")
            per_form[form_id] = (result.fetched, time.perf_counter() - started)
        rss_after_sync = peak_kib() / 1024
        started = time.perf_counter()
        requests_before = client.requests
        for form_id in FORMS:
            again = sync_central_form(engine, client, form_id, show_progress=False, **sizes)
            if again.status != "ok" or again.fetched:
                raise SystemExit(f"the no-change run of {form_id} fetched {again.fetched} ({again.error})")
        nochange = (time.perf_counter() - started, client.requests - requests_before)
    engine.dispose()
    out: dict[str, Any] = {"forms": per_form, "nochange": nochange, "rss_sync": rss_after_sync}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        out["profile"] = text.getvalue()
    return out


def worker(args: argparse.Namespace) -> None:
    target = Target(args.url, args.project, args.email, args.password, args.page_size)
    route = {"floor": route_floor, "copy": route_copy, "pandas": route_pandas, "pyodk": route_pyodk}.get(
        args.route
    )
    out = route_sync(target, args.db, args.profile) if args.route == "sync" else route(target, args.db)  # type: ignore[misc]
    from sync.pageworker import peak_kib

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    out["rss"] = peak_kib() / 1024
    # the sync's page worker (a child process) counts too: its peak is added to this process's peak, an upper
    # bound of the route's memory; CPU seconds show the work done whatever the machine's load
    if args.route == "sync":
        from sync import pageworker

        out["child_rss"] = pageworker.largest_peak_kib / 1024
    out["cpu"] = me.ru_utime + me.ru_stime
    out["child_cpu"] = children.ru_utime + children.ru_stime
    print(json.dumps(out))


# --- the parent: databases, processes, the table -----------------------------------------------------------------


@dataclass
class Outcome:
    route: str
    backend: str
    rows: dict[str, int]
    seconds: dict[str, float]
    rss: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def households_per_s(self) -> float:
        return self.rows.get(REGISTRATION_ID, 0) / self.seconds[REGISTRATION_ID]


def _new_database(backend: str, folder: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        path = folder / f"{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: [
            Path(f"{path}{s}").unlink(missing_ok=True) for s in ("", "-wal", "-shm")
        ]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"gbench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop


def run_route(route: str, backend: str, sim: Any, page_size: int, folder: Path, profile: bool) -> Outcome:
    db_url, drop = _new_database(backend, folder)
    if route == "sync":  # the schema is set up beforehand (graduasi db upgrade), not by the sync
        from warehouse.db import make_engine
        from warehouse.migrate import upgrade

        engine = make_engine(db_url)
        upgrade(engine)
        engine.dispose()
    try:
        cmd = [sys.executable, str(Path(__file__).resolve()), "worker", "--route", route, "--db", db_url,
               "--url", sim.url, "--project", str(sim.project_id), "--email", sim.info["email"],
               "--password", sim.info["password"], "--page-size", str(page_size)]  # fmt: skip
        if profile:
            cmd.append("--profile")
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"route {route} on {backend} failed:\n{done.stderr[-3000:]}")
        out = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        drop()
    forms = out.pop("forms")
    return Outcome(
        route,
        backend,
        {f: v[0] for f, v in forms.items()},
        {f: v[1] for f, v in forms.items()},
        out.pop("rss") + out.get("child_rss", 0.0),
        out,
    )


def _ceiling(sim: Any, page_size: int) -> dict[str, float]:
    from bench.simulator_ceiling import fetch_every_page

    token = sim.token()
    out = {}
    for form_id in FORMS:
        r = fetch_every_page(sim.url, token, sim.project_id, form_id, page_size=page_size)
        out[form_id] = r.rows_per_second
    return out


def _table(title: str, outcomes: list[Outcome], ceiling: dict[str, float] | None) -> None:
    print(f"\n{title}")
    print(f"{'backend':<9}{'route':<8}{'households/s':>13}{'visits/s':>10}{'total s':>9}{'peak MB':>9}"
          f"{'CPU s':>8}{'child CPU s':>13}")  # fmt: skip
    if ceiling:
        print(f"{'-':<9}{'ceiling':<8}{ceiling[REGISTRATION_ID]:>13,.0f}{ceiling.get(VISIT_ID, 0):>10,.0f}"
              f"{'':>9}{'':>9}   (bare fetch of every page, no parsing)")  # fmt: skip
    for o in outcomes:
        visits = o.rows.get(VISIT_ID, 0) / o.seconds[VISIT_ID] if o.seconds.get(VISIT_ID) else 0
        print(
            f"{o.backend:<9}{o.route:<8}{o.households_per_s:>13,.0f}{visits:>10,.0f}{o.total:>9.1f}{o.rss:>9.0f}"
            f"{o.extra.get('cpu', 0):>8.1f}{o.extra.get('child_cpu', 0):>13.1f}"
        )


def _ratios(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for backend, floor_route in (("sqlite", "floor"), ("postgres", "copy")):
        by = {o.route: o for o in outcomes if o.backend == backend}
        sync = by.get("sync")
        if sync is None:
            continue
        if floor_route in by:
            ratio = by[floor_route].total / sync.total
            need = 0.8
            lines.append(f"{backend}: sync / {floor_route} = {ratio:.2f}x (target >= {need}x) "
                         f"{'MET' if ratio >= need else 'NOT MET'}")  # fmt: skip
        if backend == "sqlite" and "pyodk" in by:
            ratio = by["pyodk"].total / sync.total
            lines.append(
                f"{backend}: sync / pyodk = {ratio:.2f}x (target >= 1.2x) {'MET' if ratio >= 1.2 else 'NOT MET'}"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    w = sub.add_parser("worker")
    for name in ("route", "db", "url", "email", "password"):
        w.add_argument(f"--{name}", required=True)
    w.add_argument("--project", type=int, required=True)
    w.add_argument("--page-size", type=int, default=2000, help="0 = the sync's own default")
    w.add_argument("--profile", action="store_true")
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument(
        "--big", type=int, default=250_000, help="households of the memory/scaling run (0 = skip)"
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--routes", default="", help="comma-separated subset of floor,copy,pandas,pyodk,sync")
    parser.add_argument(
        "--page-size", type=int, default=2000, help="page size of the baselines (floor: 2,000)"
    )
    parser.add_argument(
        "--sync-page-size", type=int, default=0, help="page size of the sync (default: its own)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the sync route")
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker(args)
        return
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    wanted = {r.strip() for r in args.routes.split(",") if r.strip()}
    folder = Path(tempfile.mkdtemp(prefix="graduasi-bench-"))
    print(f"bench/sync.py: {args.households:,} registrations + {args.visits:,} visits, page size {args.page_size}, "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    from bench.simulator_ceiling import SimulatorProcess

    outcomes: list[Outcome] = []
    with SimulatorProcess(args.households, args.visits) as sim:
        print(f"simulator seeded in {sim.info['seed_seconds']:.0f} s")
        ceiling = _ceiling(sim, args.page_size)
        for backend in backends:
            for route in ROUTES[backend]:
                if wanted and route not in wanted:
                    continue
                started = time.perf_counter()
                size = args.sync_page_size if route == "sync" else args.page_size
                outcome = run_route(route, backend, sim, size, folder, args.profile)
                outcomes.append(outcome)
                print(
                    f"  {backend}/{route}: {outcome.total:.1f} s (wall {time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    _table(f"{args.households:,} households + {args.visits:,} visits", outcomes, ceiling)
    for o in outcomes:
        if "nochange" in o.extra:
            seconds, requests = o.extra["nochange"]
            print(
                f"{o.backend}: no-change sync of {len(FORMS)} forms: {seconds * 1000:.0f} ms, {requests} requests"
            )
    for line in _ratios(outcomes):
        print(line)
    for o in outcomes:
        if "profile" in o.extra:
            print(f"\nprofile of the sync on {o.backend} (cProfile, by own time):\n{o.extra['profile']}")
    if args.big:
        big: list[Outcome] = []
        with SimulatorProcess(args.big, 0) as sim:
            print(f"\nsimulator seeded with {args.big:,} households in {sim.info['seed_seconds']:.0f} s")
            ceiling = _ceiling(sim, args.page_size)
            for backend in backends:
                for route in ROUTES[backend]:
                    if route not in ("floor", "copy", "sync") or (wanted and route not in wanted):
                        continue
                    size = args.sync_page_size if route == "sync" else args.page_size
                    big.append(run_route(route, backend, sim, size, folder, False))
                    print(f"  {backend}/{route}: {big[-1].total:.1f} s", flush=True)
        _table(f"{args.big:,} households (registrations only)", big, {**ceiling, VISIT_ID: 0})
        for backend, floor_route in (("sqlite", "floor"), ("postgres", "copy")):
            small = {o.route: o for o in outcomes if o.backend == backend}
            large = {o.route: o for o in big if o.backend == backend}
            if {"sync", floor_route} <= small.keys() and {"sync", floor_route} <= large.keys():
                r_small = small["sync"].households_per_s / small[floor_route].households_per_s
                r_large = large["sync"].households_per_s / large[floor_route].households_per_s
                print(f"{backend}: registrations sync/{floor_route} {r_small:.2f}x at {args.households:,}, "
                      f"{r_large:.2f}x at {args.big:,} ({'no worse' if r_large >= r_small * 0.95 else 'WORSE'}); "
                      f"sync peak memory {small['sync'].rss:.0f} MB -> {large['sync'].rss:.0f} MB "
                      f"({'< 150 MB' if large['sync'].rss < 150 else 'OVER 150 MB'})")  # fmt: skip


if __name__ == "__main__":
    main()
