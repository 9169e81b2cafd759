"""The simulator's own ceiling: how fast it hands out every page of a form (no warehouse, no sync logic).

Benchmarks of the sync print this beside their own numbers, so a slow simulator cannot hide in the ratios.
The simulator runs in a child process (its own GIL, like a real server); the parent fetches every page.

    .venv/bin/python bench/simulator_ceiling.py                      # 50,000 households + 200,000 visits
    .venv/bin/python bench/simulator_ceiling.py --households 5000 --visits 0 --page-size 1000,5000

Reuse from another benchmark::

    from bench.simulator_ceiling import SimulatorProcess, fetch_every_page
    with SimulatorProcess(households=50_000) as sim:
        result = fetch_every_page(sim.url, sim.token(), sim.project_id, sim.form_id, page_size=2000)
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import re
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulators.central import CentralStore, start_server
from simulators.central.loadgen import REGISTRATION_ID, seed_loadtest

_NEXT = re.compile(rb'"@odata.nextLink":"([^"]+)"')


@dataclass
class CeilingResult:
    rows: int
    pages: int
    megabytes: float
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def fetch_every_page(
    url: str,
    token: str,
    project_id: int,
    form_id: str,
    *,
    page_size: int,
    expand: bool = True,
    table: str = "Submissions",
    parse: bool = False,
) -> CeilingResult:
    """Follow ``@odata.nextLink`` through the whole table.

    :param parse: also ``json.loads`` every page (what any client must do); without it rows are counted from the
        bytes, so the number is the server's and the socket's, not the client's JSON parser's.
    """
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    query = f"$top={page_size}" + ("&$expand=*" if expand else "")
    next_url: str | None = f"{url}/v1/projects/{project_id}/forms/{form_id}.svc/{table}?{query}"
    rows = pages = size = 0
    started = time.perf_counter()
    while next_url:
        reply = http.get(next_url, timeout=120)
        reply.raise_for_status()
        body = reply.content
        size += len(body)
        pages += 1
        if parse:
            doc = reply.json()
            rows += len(doc["value"])
            next_url = doc.get("@odata.nextLink")
        else:
            rows += body.count(b'"__system":') if table == "Submissions" else body.count(b'"__id":"')
            match = _NEXT.search(body, max(0, len(body) - 2000))
            next_url = match.group(1).decode() if match else None
    return CeilingResult(rows, pages, size / 1e6, time.perf_counter() - started)


def _serve(households: int, visits: int, seed: int, synthetic: bool, conn: Any) -> None:
    started = time.perf_counter()
    store = CentralStore()
    if synthetic:
        from simulators.synthetic import seed_demo_central

        seeded = seed_demo_central(store, kpm=households, seed=seed)
        info = {"project_id": seeded.project_id, "email": seeded.admin_email, "password": seeded.admin_password,
                "form_id": "kpm_registrasi"}  # fmt: skip
    else:
        project_id, admin = seed_loadtest(store, households, visits, seed=seed)
        info = {
            "project_id": project_id,
            "email": admin.email,
            "password": "loadtest",
            "form_id": REGISTRATION_ID,
        }
    gc.freeze()
    info["seed_seconds"] = time.perf_counter() - started
    info["rss_mb_after_seed"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server = start_server(store)
    info["url"] = server.url
    conn.send(info)
    conn.recv()  # wait until the parent is done
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    server.stop()


class SimulatorProcess:
    """A seeded simulator in a child process (load-test forms by default, or the synthetic Banten data)."""

    def __init__(
        self, households: int = 50_000, visits: int = 200_000, seed: int = 1, synthetic: bool = False
    ) -> None:
        self._args = (households, visits, seed, synthetic)
        self.info: dict[str, Any] = {}
        self.peak_rss_mb = 0.0

    def __enter__(self) -> SimulatorProcess:
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(*self._args, child), daemon=True)
        self._proc.start()
        child.close()  # so a child that dies shows up as EOF here
        try:
            self.info = self._conn.recv()
        except EOFError:
            self._proc.join(timeout=5)
            raise RuntimeError(
                f"the simulator process died while seeding (exit code {self._proc.exitcode}); see its traceback above"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self.peak_rss_mb = self._conn.recv()
        self._proc.join(timeout=30)

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def project_id(self) -> int:
        return self.info["project_id"]

    @property
    def form_id(self) -> str:
        return self.info["form_id"]

    def token(self) -> str:
        reply = requests.post(
            f"{self.url}/v1/sessions",
            json={"email": self.info["email"], "password": self.info["password"]},
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()["token"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--page-size", default="1000,2000,5000", help="comma-separated page sizes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--synthetic", action="store_true", help="seed with simulators.synthetic (the demo data)"
    )
    args = parser.parse_args(argv)
    with SimulatorProcess(args.households, args.visits, args.seed, args.synthetic) as sim:
        print(f"seeded {args.households:,} households + {args.visits:,} visits in {sim.info['seed_seconds']:.1f} s; "
              f"simulator RSS {sim.info['rss_mb_after_seed']:.0f} MB")  # fmt: skip
        token = sim.token()
        print(
            f"{'page':>6} {'expand':>6} {'parse':>6} {'rows':>8} {'pages':>6} {'MB':>7} {'s':>6} {'rows/s':>9}"
        )
        for page_size in (int(p) for p in args.page_size.split(",")):
            for parse in (False, True):
                r = fetch_every_page(
                    sim.url, token, sim.project_id, sim.form_id, page_size=page_size, parse=parse
                )
                print(f"{page_size:>6} {'*':>6} {parse!s:>6} {r.rows:>8} {r.pages:>6} {r.megabytes:>7.1f} "
                      f"{r.seconds:>6.2f} {r.rows_per_second:>9,.0f}")  # fmt: skip
    print(f"simulator peak RSS {sim.peak_rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
