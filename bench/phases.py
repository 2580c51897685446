"""One run, phase by phase: what runs in which order, against which server, and the passes'
figures as they come in (results.json in the run folder, rewritten after every pass)."""

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench import profiling, report
from bench.common import BENCH, GATEWAY_ENDPOINTS, BenchError, find_row, log, row_errors
from bench.data import Prep
from bench.load import CpuMeter, Load, split
from bench.stack import Cleanup, Stack, busy_processes, db_counts, machine_info, versions

# Shares of the connections in the mixed pass: per customer payment, roughly one initiate and
# one confirm, three webhooks (plus copies), now and then a refund, and reads by client apps.
MIX = {"initiate": 0.22, "confirm": 0.18, "webhook": 0.28, "refund": 0.07, "get": 0.15}
MIX["list"] = round(1 - sum(MIX.values()), 2)
# Endpoints whose pass consumes data made in the simulator (which a reset clears first).
CONSUMING = ("confirm", "webhook", "refund")


class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.started = datetime.now(UTC)
        stamp = self.started.strftime("%Y%m%d-%H%M%S")
        self.outdir = Path(cfg.out_dir or BENCH / "out" / stamp).resolve()
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.cleanup = Cleanup()
        self.meter = CpuMeter()
        self.stack = Stack(cfg, self.cleanup, self.outdir, self.meter)
        self.load = Load(cfg, self.stack, self.outdir, self.meter)
        self.prep = Prep(self.stack)
        self.results: list[dict] = []
        self.meta: dict = {"argv": sys.argv[1:], "outdir": str(self.outdir)}

    # bookkeeping
    def save(self) -> None:
        (self.outdir / "results.json").write_text(
            json.dumps({"meta": self.meta, "results": self.results}, indent=1, default=str)
        )

    def record(self, group: str, endpoint: str, clients: int, gateway_ms: int, result: dict):
        server = self.stack.server
        row = {"group": group, "endpoint": endpoint, "clients": clients, "gateway_ms": gateway_ms}
        self.results.append(row | {"server": server} | result)
        p99 = f", p99 {result['p99_ms']:.0f} ms" if "p99_ms" in result else ""
        log(
            ("" if len(self.cfg.servers) == 1 else f"  {server:8}")
            + f"  {group:8} {endpoint:10} c={clients:<3} gw={gateway_ms:<3} "
            f"{result['rps']:8.1f} req/s{p99}, errors {row_errors(result)}"
            + (
                f", data reused {result['data_wraps']} times"
                if result.get("data_wraps") and endpoint in ("confirm", "webhook")
                else ""
            )
        )
        self.save()

    def find(self, group, endpoint, clients, gateway_ms=0) -> dict | None:
        return find_row(self.results, group, endpoint, clients, gateway_ms, self.stack.server)

    def estimate(self, endpoint: str, clients: int, gateway_ms: int) -> float:
        """A generous guess of an endpoint's req/s, to size the data a pass consumes: the best
        it did with the instant gateway (the CPU bound), and with gateway latency no more than
        clients / latency allows."""
        instant = [
            r["rps"]
            for r in self.results
            if r["group"] == "alone" and r["endpoint"] == endpoint and r["gateway_ms"] == 0
        ]
        # A share of the reference view at this client count (which does less work), or more
        # than the endpoint's best so far, whichever is higher.
        ref = self.find("ceiling", "reference", clients) or {"rps": 600}
        factor = {"confirm": 0.6, "webhook": 0.9, "refund": 0.6}.get(endpoint, 1.0)
        guess = max([ref["rps"] * factor] + [rps * 1.4 for rps in instant])
        if gateway_ms:
            guess = min(guess, clients / (gateway_ms / 1000) * 1.2)
        return guess

    def sized(self, endpoint: str, clients: int, gateway_ms: int, share: float = 1.0) -> int:
        wanted = self.estimate(endpoint, clients, gateway_ms) * share * self.cfg.duration * 1.25
        return int(min(self.cfg.max_prep, max(100, wanted + 50)))

    def job(self, endpoint: str, clients: int, gateway_ms: int, share: float = 1.0) -> dict:
        """What wrk sends for `endpoint`: its script, the API key, and the data the pass
        consumes (`share` of a whole pass's worth), prepared now."""
        if endpoint == "initiate":
            return {"script": "initiate.lua", "token": self.shop}
        if endpoint in ("get", "list"):
            data = self.gets if endpoint == "get" else self.lists
            return {"script": "get.lua", "data": data, "token": self.reader}
        if endpoint not in CONSUMING:
            raise BenchError(f"unknown endpoint {endpoint}")
        n = self.sized(endpoint, clients, gateway_ms, share)
        if endpoint == "confirm":
            return {"script": "confirm.lua", "data": self.prep.confirm_bodies(self.shop, n)}
        if endpoint == "webhook":
            data = self.prep.webhook_lines(self.shop, n, self.cfg.webhook_duplicates)
            return {"script": "webhook.lua", "data": data}
        data = self.prep.refund_lines(self.shop, n)
        return {"script": "refund.lua", "data": data, "token": self.shop}

    # phases
    def quiet_machine(self) -> None:
        limit = self.cfg.max_load
        deadline = time.monotonic() + self.cfg.max_load_wait
        load = os.getloadavg()
        while load[0] > limit and time.monotonic() < deadline:
            log(f"load average {load[0]:.2f} > {limit}: waiting (until {self.cfg.max_load_wait}s)")
            time.sleep(min(15, max(1, deadline - time.monotonic())))
            load = os.getloadavg()
        self.meta["load_before"] = load
        self.meta["busy_before"] = busy_processes()
        if load[0] > limit:
            log(f"load average still {load[0]:.2f}; running anyway (recorded in RESULTS.md)")

    def run(self) -> None:
        cfg = self.cfg
        try:
            self.quiet_machine()
            self.meta["machine"] = machine_info()
            self.stack.flush_redis()
            self.cleanup.add("flush redis", self.stack.flush_redis)
            self.stack.create_database()
            self.meta["versions"] = versions(self.stack)
            if "pgbench" in cfg.phases:
                self.phase_pgbench()
            self.stack.start_simulator()
            for server in cfg.servers:
                self.run_server(server)
            self.meta["load_after"] = os.getloadavg()
            self.meta["db_rows"] = db_counts(self.stack)
        finally:
            self.meta["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            self.meta["elapsed_s"] = round((datetime.now(UTC) - self.started).total_seconds())
            self.save()
            self.cleanup.run()
        report.write(self.meta, self.results, cfg, self.outdir)

    def run_server(self, server: str) -> None:
        """The phases after pgbench, with the service under `server`; the client apps and the
        reader's payments are made once, under the first."""
        cfg = self.cfg
        self.stack.start_server(server)
        if server == cfg.servers[0]:
            self.meta["workers"] = self.stack.workers()
            self.shop = self.stack.create_app("bench-shop")
            self.reader = self.stack.create_app("bench-reader")
            self.check_refund_route()
            log("preparing the reader app's payments")
            self.gets, self.lists = self.prep.reader_paths(self.reader)
        self.warm_up()
        if "alone" in cfg.phases:
            self.phase_alone()
        if "latency" in cfg.phases:
            self.phase_latency()
        if "mix" in cfg.phases:
            self.phase_mix()
        if "profile" in cfg.phases:
            self.phase_profile()
        if "tune" in cfg.phases and cfg.tune:
            self.phase_tune()

    def check_refund_route(self) -> None:
        """Refunds may not have landed yet: without their route, the run leaves them out."""
        answer = requests.post(
            f"{self.stack.base}/payments/pmt_missing/refunds",
            json={"amount": 100},
            headers={"Authorization": f"Bearer {self.shop}", "Idempotency-Key": "probe-1"},
            timeout=10,
        )
        code = (
            answer.json().get("code")
            if answer.headers.get("Content-Type", "").endswith("json")
            else None
        )
        if answer.status_code in (404, 405) and code in ("not_found", "method_not_allowed"):
            self.cfg.endpoints = [e for e in self.cfg.endpoints if e != "refund"]
            self.meta["notes"] = ["POST /payments/{id}/refunds is not routed: refunds left out"]
            log("refund route absent: refunds left out of this run")

    def phase_pgbench(self) -> None:
        log("pgbench: the reference view's inserts (database ceiling)")
        self.load.pgbench(8, min(3, self.cfg.warmup or 3))
        for clients in self.cfg.clients:
            self.record(
                "ceiling", "pgbench", clients, 0, self.load.pgbench(clients, self.cfg.duration)
            )

    def warm_up(self) -> None:
        if not self.cfg.warmup:
            return
        log(f"warm-up ({self.cfg.warmup}s per endpoint, not recorded)")
        w, c = self.cfg.warmup, 32
        self.load.wrk("warmup-bare", "get.lua", c, w, data=["/bench/bare"])
        self.load.wrk("warmup-ref", "initiate.lua", c, w, path="/bench/reference")
        self.load.wrk("warmup-initiate", "initiate.lua", c, w, token=self.shop)
        self.load.wrk("warmup-get", "get.lua", c, w, data=self.gets, token=self.reader)
        self.load.wrk("warmup-list", "get.lua", c, w, data=self.lists, token=self.reader)

    def endpoint_pass(self, endpoint: str, clients: int, gateway_ms: int) -> dict:
        """Prepares what the pass consumes, sets the gateway latency, runs wrk."""
        if endpoint in CONSUMING:
            # A clean simulator (also: only this pass's events in its delivery log), instant
            # while preparing.
            self.stack.sim_post("/_sim/reset")
        job = self.job(endpoint, clients, gateway_ms)
        self.stack.set_latency(gateway_ms)
        script = job.pop("script")
        name = f"{endpoint}-c{clients}-gw{gateway_ms}"
        return self.load.wrk(name, script, clients, self.cfg.duration, **job)

    def phase_alone(self) -> None:
        for clients in self.cfg.clients:
            log(f"ceilings and endpoints alone, instant gateway, {clients} clients")
            self.stack.set_latency(0)
            bare = self.load.wrk(
                f"bare-c{clients}", "get.lua", clients, self.cfg.duration, data=["/bench/bare"]
            )
            self.record("ceiling", "bare", clients, 0, bare)
            ref = self.load.wrk(
                f"reference-c{clients}",
                "initiate.lua",
                clients,
                self.cfg.duration,
                path="/bench/reference",
            )
            self.record("ceiling", "reference", clients, 0, ref)
            for endpoint in self.cfg.endpoints:
                self.record("alone", endpoint, clients, 0, self.endpoint_pass(endpoint, clients, 0))
        self.stack.set_latency(0)

    def phase_latency(self) -> None:
        """Each gateway endpoint with the gateway's latency; at the top client count again
        (`--latency-repeats` passes in all), to show whether its throughput is stable."""
        ms, top = self.cfg.latency_ms, max(self.cfg.clients)
        for clients in self.cfg.clients:
            log(f"endpoints alone, gateway +{ms} ms, {clients} clients")
            for endpoint in self.cfg.endpoints:
                if endpoint not in GATEWAY_ENDPOINTS:
                    continue
                self.record(
                    "alone", endpoint, clients, ms, self.endpoint_pass(endpoint, clients, ms)
                )
                for _ in range(self.cfg.latency_repeats - 1 if clients == top else 0):
                    self.record(
                        "repeat", endpoint, clients, ms, self.endpoint_pass(endpoint, clients, ms)
                    )
        self.stack.set_latency(0)

    def phase_mix(self) -> None:
        for gateway_ms in (0, self.cfg.latency_ms):
            for clients in self.cfg.mix_clients:
                log(f"mixed traffic, {clients} clients, gateway +{gateway_ms} ms")
                mix = {e: share for e, share in MIX.items() if e in self.cfg.endpoints}
                shares = split(clients, mix)
                self.stack.set_latency(0)
                self.stack.sim_post("/_sim/reset")
                jobs = []
                for endpoint, conns in shares.items():
                    if not conns:
                        continue
                    opts = self.job(endpoint, clients, gateway_ms, conns / clients)
                    script = opts.pop("script")
                    jobs.append((f"mix{clients}-gw{gateway_ms}-{endpoint}", script, conns, opts))
                self.stack.set_latency(gateway_ms)
                results = self.load.wrk_many(jobs, self.cfg.duration)
                for (name, _, conns, _), result in zip(jobs, results.values(), strict=True):
                    endpoint = name.rsplit("-", 1)[1]
                    result["connections"] = conns
                    self.record(f"mix{clients}", endpoint, clients, gateway_ms, result)
        self.stack.set_latency(0)

    def phase_tune(self) -> None:
        """Other worker x thread counts, on what decides them: initiate at the top client count
        with both gateways, against the reference view (the main configuration's figures come
        from the passes above)."""
        clients, ms, d = max(self.cfg.clients), self.cfg.latency_ms, self.cfg.duration
        for workers, threads in self.cfg.tune:
            log(f"tuning: {workers} workers x {threads} threads, {clients} clients")
            self.stack.set_latency(0)
            self.stack.start_server(self.stack.server, workers, threads)
            group = f"tune {workers}x{threads}"
            self.load.wrk("tune-warmup", "initiate.lua", 32, 2, token=self.shop)
            ref = self.load.wrk(f"{group}-ref", "initiate.lua", clients, d, path="/bench/reference")
            self.record(group, "reference", clients, 0, ref)
            self.record(group, "initiate", clients, 0, self.endpoint_pass("initiate", clients, 0))
            self.record(group, "initiate", clients, ms, self.endpoint_pass("initiate", clients, ms))
        self.stack.set_latency(0)

    def phase_profile(self) -> None:
        spy = profiling.find_py_spy()
        workers = self.stack.workers()
        if not spy or not workers:
            log("profile skipped: py-spy or a worker is missing")
            return
        server = self.stack.server
        profiles = self.meta.setdefault("profiles", {})
        seconds = round(self.cfg.profile_seconds)
        for endpoint in ("initiate", "webhook"):
            if endpoint not in self.cfg.endpoints:
                continue
            self.stack.set_latency(0)
            if endpoint in CONSUMING:
                self.stack.sim_post("/_sim/reset")
            job = self.job(endpoint, 32, 0, (seconds + 4) / self.cfg.duration)
            del job["script"]
            # The first server's profiles keep the names they had before the server choice.
            name = endpoint if server == self.cfg.servers[0] else f"{endpoint}-{server}"
            found = profiling.record(self.load, spy, workers, endpoint, seconds, job, name)
            if found:
                profiles[name] = found | {"endpoint": endpoint, "server": server}
