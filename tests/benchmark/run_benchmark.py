"""Operator-scale benchmark against the CoCon simulator (25 ms per command by default).

    make benchmark            # or: bash scripts/benchmark.sh [--latency-ms 25] [--markdown FILE]

Prints two tables: the scenarios of issue #5, then one row per simulator dialect of
DIALECTS.md with number ranges NOT supported (each dialect that says nothing about ranges is
combined with ranges_literal, the console that takes a range as one literal alias), each an
alias_property task on --aliases aliases, first run and no-op re-run. Wall time, CoCon commands
received and SSH connections that carried them come from the simulator's own command log, so
the client cannot flatter itself. Then each target with its verdict. Every number is measured
in this run; the only derived figures are the extrapolations of the per-alias loop and of the
naive way (both linear in the aliases), which say so. Each row also shows the machine's 1-minute
load average when it started: the script is meant to finish within 10 minutes on a quiet
2-core machine.
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS_DIR)
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
sys.path.insert(0, TESTS_DIR)
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from cocon_simulator.dialects import DIALECTS, resolve  # noqa: E402
from cocon_simulator.harness import Simulator  # noqa: E402

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import CoconClient  # noqa: E402

PROPERTY = "api\\call\\enabled"
GROUP = "loc.gr"
FIRST_NUMBER = 2410000


def numbers(count, first=FIRST_NUMBER):
    return [str(first + offset) for offset in range(count)]


def domain_state(count, first=FIRST_NUMBER):
    return {"aliases": dict((number, {"group": GROUP}) for number in numbers(count, first)), "integrations": {}}


def load_average():
    """The 1-minute load average: on a shared machine it says how far a row's time can be trusted."""
    return os.getloadavg()[0]


class Row(object):
    def __init__(self, name, seconds, commands, connections, note="", load=None):
        self.name, self.seconds, self.commands, self.connections, self.note = name, seconds, commands, connections, note
        self.load = load


class Measured(object):
    """Wall time plus what the simulator's command log gained meanwhile, and the load before."""

    def __init__(self, simulator):
        self.simulator = simulator

    def __enter__(self):
        self.before = len(self.simulator.command_records())
        self.load = load_average()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.monotonic() - self.started
        records = self.simulator.command_records()[self.before:]
        self.commands = len(records)
        self.connections = len(set(record["conn"] for record in records))


def ansible_environment(simulator, workdir):
    return dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
        ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="false",
        ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "ansible-tmp"),
        **simulator.connection_env())


def run_playbook(playbook, simulator, workdir, extra_vars, inventory="localhost,", expect_changed=None):
    """Run ansible-playbook; fail the benchmark loudly when the run fails or changes the wrong amount."""
    vars_path = os.path.join(workdir, "vars.json")
    with open(vars_path, "w", encoding="utf-8") as handle:
        json.dump(extra_vars, handle)
    command = ["ansible-playbook", "-i", inventory, "-e", "@" + vars_path, playbook]
    if inventory == "localhost,":
        command += ["-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable]
    completed = subprocess.run(command, env=ansible_environment(simulator, workdir), capture_output=True, text=True,
                               check=False)
    if completed.returncode != 0:
        raise SystemExit("benchmark run failed: %s\n%s%s" % (" ".join(command), completed.stdout[-4000:],
                                                             completed.stderr[-2000:]))
    recap = [line for line in completed.stdout.splitlines() if "changed=" in line and "ok=" in line]
    if expect_changed is not None:
        changed = sum(int(line.split("changed=")[1].split()[0]) for line in recap)
        if (changed > 0) != expect_changed:
            raise SystemExit("%s: expected %s, recap says %s" % (playbook, "changes" if expect_changed else "no change",
                                                                 recap))
    return completed


def one_task_rows(latency_ms, count, workdir, use_ranges, parallel, label, dialect=None):
    domain = "bench.local"
    name = "sim-%s" % (dialect or "ranges-%s" % str(use_ranges).lower()).replace(",", "-")
    with Simulator(latency_ms=latency_ms, workdir=os.path.join(workdir, name), dialect=dialect,
                   initial_state={"domains": {domain: domain_state(count)}}) as simulator:
        extra = dict(bench_domain=domain, bench_group=GROUP, bench_aliases=numbers(count),
                     bench_use_ranges=use_ranges)
        if parallel is not None:
            extra["bench_parallel"] = parallel
        playbook = os.path.join(PLAYBOOKS, "alias_property_one_task.yml")
        rows = []
        with Measured(simulator) as first:
            run_playbook(playbook, simulator, workdir, extra, expect_changed=True)
        enabled = [n for n, a in simulator.state()["domains"][domain]["aliases"].items()
                   if a["properties"].get(PROPERTY) == "true"]
        assert len(enabled) == count, "only %d of %d aliases enabled" % (len(enabled), count)
        rows.append(Row("%s, first run (%s)" % (count, label), first.seconds, first.commands, first.connections,
                        load=first.load))
        with Measured(simulator) as again:
            run_playbook(playbook, simulator, workdir, extra, expect_changed=False)
        rows.append(Row("%s, no-op re-run (%s)" % (count, label), again.seconds, again.commands, again.connections,
                        load=again.load))
        return rows


def without_ranges(name):
    """The dialect as benchmarked: ranges not supported, unless the dialect already says how ranges go."""
    return name if resolve(name).ranges != "expand" else "%s,ranges_literal" % name


def dialect_rows(latency_ms, count, workdir, parallel, names):
    rows = []
    for name in names:
        spec = without_ranges(name)
        first, again = one_task_rows(latency_ms, count, workdir, True, parallel, spec, dialect=spec)
        rows.append((name, spec, first, again))
    return rows


def dialect_table(rows, first_target, noop_target):
    lines = ["| dialect | run as | first run (s) | commands | connections | no-op re-run (s) | commands | connections "
             "| within %g s / %g s | load before |" % (first_target, noop_target),
             "|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for name, spec, first, again in rows:
        met = first.seconds <= first_target and again.seconds <= noop_target
        lines.append("| %s | %s | %.1f | %d | %d | %.1f | %d | %d | %s | %.1f / %.1f |" % (
            name, spec, first.seconds, first.commands, first.connections, again.seconds, again.commands,
            again.connections, "yes" if met else "NO", first.load, again.load))
    return "\n".join(lines)


def naive_row(latency_ms, count, workdir):
    """What public scripts do: a fresh SSH connection for every alias/set, no reads."""
    domain = "naive.local"
    with Simulator(latency_ms=latency_ms, workdir=os.path.join(workdir, "sim-naive"),
                   initial_state={"domains": {domain: domain_state(count)}}) as simulator:
        client = CoconClient(host=simulator.host, port=simulator.port, user=simulator.user,
                             password=simulator.password, known_hosts=simulator.known_hosts_path,
                             exec_mode="connection_per_command")
        with client, Measured(simulator) as measured:
            for number in numbers(count):
                client.run("/domain/%s/alias/set %s %s %s@%s %s true"
                           % (domain, number, GROUP, number, domain, PROPERTY))
        return Row("%s, naive: one SSH connection per command" % count, measured.seconds, measured.commands,
                   measured.connections, load=measured.load)


def loop_row(latency_ms, measured_count, target_count, workdir):
    domain = "loop.local"
    with Simulator(latency_ms=latency_ms, workdir=os.path.join(workdir, "sim-loop"),
                   initial_state={"domains": {domain: domain_state(measured_count)}}) as simulator:
        extra = dict(bench_domain=domain, bench_group=GROUP, bench_aliases=numbers(measured_count))
        with Measured(simulator) as measured:
            run_playbook(os.path.join(PLAYBOOKS, "alias_property_loop.yml"), simulator, workdir, extra,
                         expect_changed=True)
    return with_extrapolation(Row("%s, Ansible loop, one item per alias (measured)" % measured_count,
                                  measured.seconds, measured.commands, measured.connections, load=measured.load),
                              measured_count, target_count, "Ansible loop")


def with_extrapolation(row, measured_count, target_count, name):
    """``row`` (measured on ``measured_count`` aliases), then what it comes to on ``target_count``, said so."""
    factor = float(target_count) / measured_count
    if factor == 1:
        return [row]
    return [row, Row("%s, %s (extrapolated x%g from %s)" % (target_count, name, factor, measured_count),
                     row.seconds * factor, int(row.commands * factor), int(row.connections * factor),
                     "extrapolated, not measured")]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_inventory(workdir, simulator, nginx_role_vars, domains, named=False):
    settings_dir = os.path.join(workdir, "widget-settings")
    node = dict(
        nginx_role_vars,
        ansible_host="127.0.0.1", ansible_connection="local", ansible_python_interpreter=sys.executable,
        call_api_tls_mode="selfsigned", call_api_tls_names=["node1", "127.0.0.1", "ecss.bench.test"],
    )
    inventory = {"ecss": {
        "hosts": {"node1": node},
        "vars": {
            "ecss_cocon_port": simulator.port, "ecss_cocon_known_hosts": simulator.known_hosts_path,
            "ecss_call_api_public_host": "ecss.bench.test", "ecss_widget_settings_dir": settings_dir,
            "ecss_domains": [
                {"name": name, "client_id": "amocrm", "group": GROUP,
                 "subscribers": [dict({"number": number}, **({"amocrm_user": "User %s" % number} if named else {}))
                                 for number in numbers(count, first)]}
                for name, (first, count) in sorted(domains.items())],
        }}}
    path = os.path.join(workdir, "site-inventory.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)
    os.chmod(path, 0o600)
    return path


@contextlib.contextmanager
def factory_nginx(workdir, name):
    """A factory-state nginx (tests/nginx_factory) for one node; yields its call_api_tls role variables."""
    prefix = os.path.join(workdir, name)
    nginx = [sys.executable, "-m", "nginx_factory"]
    environment = dict(os.environ, PYTHONPATH=TESTS_DIR)
    started = subprocess.run(nginx + ["start", "--prefix", prefix, "--port", str(free_port()), "--server-name", "node1"],
                             env=environment, check=True, capture_output=True, text=True)
    try:
        yield json.loads(started.stdout)["role_vars"]
    finally:
        subprocess.run(nginx + ["stop", "--prefix", prefix], env=environment, check=False, capture_output=True)


def site_rows(latency_ms, workdir, domain_count=3, per_domain=50):
    domains = dict(("site%d.local" % index, (FIRST_NUMBER + 1000 * index, per_domain)) for index in range(domain_count))
    state = {"domains": dict((name, domain_state(count, first)) for name, (first, count) in domains.items())}
    with factory_nginx(workdir, "nginx-node1") as role_vars:
        with Simulator(latency_ms=latency_ms, workdir=os.path.join(workdir, "sim-site"),
                       initial_state=state) as simulator:
            inventory = site_inventory(workdir, simulator, role_vars, domains)
            site = os.path.join(ROOT, "playbooks", "site.yml")
            label = "site.yml, %d domains x %d aliases" % (domain_count, per_domain)
            with Measured(simulator) as first:
                run_playbook(site, simulator, workdir, {}, inventory, expect_changed=True)
            with Measured(simulator) as again:
                run_playbook(site, simulator, workdir, {}, inventory, expect_changed=False)
            with Measured(simulator) as floor:
                run_playbook(os.path.join(PLAYBOOKS, "floor.yml"), simulator, workdir, {}, inventory,
                             expect_changed=False)
    return [Row(label + ", first run", first.seconds, first.commands, first.connections, load=first.load),
            Row(label + ", no-op re-run", again.seconds, again.commands, again.connections, load=again.load),
            Row("bare one-task playbook, same inventory (floor)", floor.seconds, floor.commands, floor.connections,
                load=floor.load)]


def check_rows(latency_ms, workdir, count=1000, dialects=(None, "ranges_literal")):
    """check.yml on one domain of ``count`` subscribers, every phone registered, one row per dialect.

    site.yml sets the node and the switch up once (reference dialect: quick); each dialect then
    serves that same switch state (the simulator restarted on its files) to a timed check.yml.
    """
    domain, first = "check.local", FIRST_NUMBER + 50000
    state = {"domains": {domain: domain_state(count, first)}}
    for number, alias in state["domains"][domain]["aliases"].items():
        alias["contacts"] = ["sip:%s@192.0.2.10:5060" % number]
    sim_dir = os.path.join(workdir, "sim-check")
    rows = []
    with factory_nginx(workdir, "nginx-check") as role_vars:
        with Simulator(latency_ms=latency_ms, workdir=sim_dir, initial_state=state) as simulator:
            inventory = site_inventory(workdir, simulator, role_vars, {domain: (first, count)}, named=True)
            run_playbook(os.path.join(ROOT, "playbooks", "site.yml"), simulator, workdir, {}, inventory)
        for dialect in dialects:
            with Simulator(latency_ms=latency_ms, workdir=sim_dir, dialect=dialect) as simulator:
                inventory = site_inventory(workdir, simulator, role_vars, {domain: (first, count)}, named=True)
                with Measured(simulator) as measured:
                    run_playbook(os.path.join(ROOT, "playbooks", "check.yml"), simulator, workdir, {}, inventory)
            with open(os.path.join(workdir, "widget-settings", "readiness.json"), encoding="utf-8") as handle:
                report = json.load(handle)
            registered = [c for c in report["checks"] if c["check"] == "phone_registered" and c["status"] == "ok"]
            assert report["ready"] and len(registered) == count, "check.yml did not find every phone registered"
            rows.append(Row("check.yml, %d subscribers (%s)" % (count, dialect or "reference: ranges proven"),
                            measured.seconds, measured.commands, measured.connections, load=measured.load))
    return rows


class _DialectsOnly(Exception):
    """--skip-scenarios: stop after the per-dialect rows."""


class _ChecksOnly(Exception):
    """--check-only: stop after the check.yml rows."""


def dialect_verdicts(dialects, first_target=20, noop_target=12):
    checks = []
    for name, spec, first, again in dialects:
        checks.append(("%s (%s): first run within %g s, no-op within %g s" % (name, spec, first_target, noop_target),
                       first.seconds <= first_target and again.seconds <= noop_target,
                       "%.1f s / %.1f s" % (first.seconds, again.seconds)))
    return ["- %s: %s (%s)" % (name, "met" if ok else "MISSED", value) for name, ok, value in checks], all(
        ok for _name, ok, _value in checks)


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ansible_version = subprocess.run(["ansible", "--version"], capture_output=True, text=True,
                                     check=False).stdout.splitlines()[0:1]
    return "%s, %d CPU(s) visible (%s), Python %s, %s" % (
        platform.platform(), os.cpu_count() or 0, cpu, platform.python_version(),
        ansible_version[0] if ansible_version else "ansible-core ?")


def table(rows):
    lines = ["| # | scenario | wall time (s) | CoCon commands | SSH connections | load before | note |",
             "|---|---|---:|---:|---:|---:|---|"]
    for index, row in enumerate(rows, 1):
        lines.append("| %d | %s | %.1f | %d | %d | %s | %s |"
                     % (index, row.name, row.seconds, row.commands, row.connections,
                        "" if row.load is None else "%.1f" % row.load, row.note))
    return "\n".join(lines)


def verdicts(by_key, dialects=(), first_target=20, noop_target=12):
    first, noop, naive, site_noop = by_key["first"], by_key["noop"], by_key["naive"], by_key["site_noop"]
    checks = [("%s within 20 s" % row.name, row.seconds <= 20, "%.1f s" % row.seconds) for row in by_key["check"]]
    checks += [
        ("(1) first run under 40 s", first.seconds < 40, "%.1f s" % first.seconds),
        ("(2) no-op re-run under 30 s", noop.seconds < 30, "%.1f s" % noop.seconds),
        ("(1) at least 20x faster than the naive way", naive.seconds >= 20 * first.seconds,
         "%.1fx" % (naive.seconds / first.seconds)),
        ("no-op site.yml within 15 s", site_noop.seconds <= 15, "%.1f s" % site_noop.seconds),
    ]
    for name, spec, dialect_first, dialect_noop in dialects:
        checks.append(("%s without ranges (%s): first run within %g s" % (name, spec, first_target),
                       dialect_first.seconds <= first_target, "%.1f s" % dialect_first.seconds))
        checks.append(("%s without ranges (%s): no-op re-run within %g s" % (name, spec, noop_target),
                       dialect_noop.seconds <= noop_target, "%.1f s" % dialect_noop.seconds))
    return ["- %s: %s (%s)" % (name, "met" if ok else "MISSED", value) for name, ok, value in checks], all(
        ok for _name, ok, _value in checks)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--latency-ms", type=int, default=25, help="simulator latency per command")
    parser.add_argument("--aliases", type=int, default=1000, help="aliases in scenarios 1-3")
    parser.add_argument("--loop-aliases", type=int, default=20,
                        help="aliases the per-alias loop really runs (the rest is extrapolated)")
    parser.add_argument("--naive-aliases", type=int, default=250,
                        help="aliases the naive way really sets (the rest is extrapolated)")
    parser.add_argument("--parallel", type=int, default=None,
                        help="parallel_connections of the dialect runs (default: the module's default)")
    parser.add_argument("--dialects", default=",".join(sorted(DIALECTS)),
                        help="comma-separated dialects for the per-dialect table (default: all)")
    parser.add_argument("--skip-scenarios", action="store_true",
                        help="only the per-dialect table (no naive, loop and site.yml rows)")
    parser.add_argument("--check-only", action="store_true",
                        help="only the check.yml rows of issue 10 (site.yml once, then check.yml per dialect)")
    parser.add_argument("--markdown", help="also write the table and verdicts to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="ecss-benchmark-")
    os.makedirs(os.path.join(workdir, "ansible-tmp"), exist_ok=True)
    started, load_at_start = time.monotonic(), os.getloadavg()
    rows = []
    try:
        by_key = {}
        if args.check_only:
            rows += check_rows(args.latency_ms, workdir, args.aliases)
            raise _ChecksOnly()
        rows += one_task_rows(args.latency_ms, args.aliases, workdir, True, None, "reference: ranges proven")
        by_key["first"], by_key["noop"] = rows
        dialects = dialect_rows(args.latency_ms, args.aliases, workdir, args.parallel,
                                [name for name in args.dialects.split(",") if name])
        if args.skip_scenarios:
            raise _DialectsOnly()
        naive_count = min(args.naive_aliases, args.aliases)
        naive = with_extrapolation(naive_row(args.latency_ms, naive_count, workdir), naive_count, args.aliases,
                                   "naive")
        by_key["naive"] = naive[-1]
        rows += naive
        rows += loop_row(args.latency_ms, args.loop_aliases, args.aliases, workdir)
        site = site_rows(args.latency_ms, workdir)
        by_key["site_noop"] = site[1]
        rows += site
        by_key["check"] = check_rows(args.latency_ms, workdir, args.aliases)
        rows += by_key["check"]
    except (_DialectsOnly, _ChecksOnly):
        pass
    except BaseException:
        if rows:
            print("Measured before the failure:\n" + table(rows), file=sys.stderr)
        raise
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.check_only:
        lines = ["- %s within 20 s: %s (%.1f s)" % (row.name, "met" if row.seconds <= 20 else "MISSED", row.seconds)
                 for row in rows]
        all_met = all(row.seconds <= 20 for row in rows)
        dialects = []
    elif args.skip_scenarios:
        lines, all_met = dialect_verdicts(dialects)
    else:
        lines, all_met = verdicts(by_key, dialects)
    report = "\n".join([
        "Command: make benchmark (scripts/benchmark.sh%s)" % (" " + " ".join(argv or sys.argv[1:])).rstrip(),
        "Simulator latency: %d ms per command" % args.latency_ms,
        "Machine: %s" % machine(),
        "Load average (1/5/15 min): %s at the start, %s at the end; 'load before' below: the 1-minute "
        "load when the row started (2 CPUs: above 2, the row waited for CPU)" % (
            "/".join("%.1f" % value for value in load_at_start),
            "/".join("%.1f" % value for value in os.getloadavg())),
        "Total benchmark time: %.0f s" % (time.monotonic() - started),
        "",
        table(rows),
        "",
    ] + ([
        "One alias_property task on %d aliases, number ranges not supported, per dialect "
        "(parallel_connections: %s):" % (args.aliases, args.parallel or "module default"),
        "",
        dialect_table(dialects, 20, 12),
        "",
    ] if dialects else []) + ["Targets:"] + lines)
    print(report)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(report + "\n")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
