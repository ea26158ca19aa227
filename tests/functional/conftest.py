"""Shared fixtures of the functional tests: the CoCon simulator over real SSH."""

import os
import sys

import pytest

try:
    from cocon_simulator.harness import Simulator
except ImportError:  # run without scripts/env.sh: tests/ is not on PYTHONPATH yet
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from cocon_simulator.harness import Simulator


@pytest.fixture
def make_simulator(tmp_path):
    """Factory: ``make_simulator(dialect="ranges_literal,slow", latency_ms=50, initial_state={...})``
    -> a started Simulator (every keyword of harness.Simulator passes through).

    Each one gets its own directory under tmp_path and is stopped at teardown.
    """
    started = []

    def factory(**knobs):
        workdir = tmp_path / ("cocon-sim-%d" % len(started))
        simulator = Simulator(workdir=workdir, **knobs)
        started.append(simulator)
        return simulator.start()

    yield factory
    for simulator in started:
        simulator.stop()


@pytest.fixture
def simulator(make_simulator):
    """A CoCon simulator with the factory state and no faults."""
    return make_simulator()


@pytest.fixture
def make_cluster(tmp_path):
    """Factory: ``make_cluster(simulator, node_names=(...), domains=[...])`` -> a started SiteCluster."""
    from site_cluster import SiteCluster

    started = []

    def factory(simulator, **keywords):
        cluster = SiteCluster(tmp_path / ("cluster-%d" % len(started)), simulator, **keywords)
        os.makedirs(cluster.root, exist_ok=True)
        started.append(cluster)
        return cluster.start()

    yield factory
    for cluster in started:
        cluster.stop()
