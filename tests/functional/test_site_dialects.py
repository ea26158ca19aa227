"""site.yml's first and no-op runs against every simulator dialect of DIALECTS.md.

The dialects are the console's: the runs take the CoCon half (`--tags widget`) and leave the TLS
play, which does not depend on the console, to test_site_first_and_again.py; that nginx is not
touched proves the tag.

site.yml runs cocon_facts once and hands what it found to every CoCon module through
module_defaults: the modules do not test the console again (no second channel test, no
second range test), and the CoCon side converges whatever the console's dialect.
"""

import re

import pytest

from cocon_simulator.dialects import DIALECTS

PROPERTY = "api\\call\\enabled"


def changed_tasks(stdout):
    """Names of the tasks that reported a change (default callback output), without the role's name."""
    names, task = [], None
    for line in stdout.splitlines():
        header = re.match(r"^TASK \[(?:[^\]]* : )?(.*)\] \**$", line)
        if header:
            task = header.group(1)
        elif line.startswith("changed:") and task not in names:
            names.append(task)
    return names


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_site_first_and_no_op_runs_in_every_dialect(make_simulator, make_cluster, dialect):
    simulator = make_simulator(dialect=dialect)
    cluster = make_cluster(simulator)
    node_files = cluster.nodes[0].file_digests()
    seen = 0
    for name in ("first run", "no-op run"):
        run = cluster.run(args=("--tags", "widget"))
        assert run.rc == 0 and run.failed == 0, (dialect, name, run)
        commands = simulator.commands()[seen:]
        seen += len(commands)
        changed = changed_tasks(run.stdout)
        if name == "first run":
            assert "CoCon | Integration per domain" in changed, (dialect, changed)
        elif dialect == "csta_absent":
            # Without /api/csta/info the state cannot be seen: CSTA is set again, and says so.
            assert changed == ["CoCon | CSTA (the widget shows calls not started from amoCRM)"], changed
            assert "could not read the CSTA state" in run.output or "cannot be read" in run.output
        else:
            assert changed == [] and run.changed == 0, (dialect, changed, run)
        # cocon_facts tested once (its own read, the second channel and, where that failed, the interactive
        # session); the modules it handed its findings to did not test again.
        tests = 3 if dialect.startswith("one_channel_") else 2
        assert commands.count("/domain/list") <= tests, (dialect, name, commands)
        ranges = [c for c in commands if "{" in c]
        if dialect in ("ranges_literal", "ranges_invalid"):
            assert len(ranges) == 1 and "/alias/info " in ranges[0], (dialect, ranges)
    assert cluster.nodes[0].file_digests() == node_files, "--tags widget touched nginx"
    state = simulator.state()
    assert state["csta"]["enabled"] is True
    biysk, tomsk = state["domains"]["biysk.local"], state["domains"]["tomsk.local"]
    assert [biysk["aliases"][n]["properties"].get(PROPERTY) for n in ("240473", "240474")] == ["true", "true"]
    assert tomsk["aliases"]["700101"]["properties"].get(PROPERTY) == "true"
    assert cluster.settings("biysk.local")["api_key"] == biysk["integrations"]["amocrm"]["key"]
    assert cluster.settings("tomsk.local")["api_key"] == tomsk["integrations"]["amocrm-tomsk"]["key"]
