# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsers against what real consoles answered: one directory per probe bundle.

``fixtures/consoles/<name>/`` is a bundle of ``playbooks/probe.yml`` turned into fixtures by
``scripts/probe-to-fixtures`` (docs/real-console.md): one file per command, named after it as
every fixture here (so ``FakeConsole("consoles/<name>")`` answers from it too), the bundle's
``commands.yml`` (command, file, status) and ``capabilities.yml`` (what cocon_facts decided on
that console).  For every answer the collection's code must still read it as the console meant:
the failure marker selects the status the probe recorded, each parser reads its answer in a
layout it knows, and what the answers show agrees with the capabilities cocon_facts found live.

``ECSS_CONSOLE_FIXTURES`` (directories separated by ``:``) limits the run to those directories;
``scripts/probe-to-fixtures`` sets it to the one it has just written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import io
import os

import pytest
import yaml

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import classify_failure
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    parse_alias_info,
    parse_box_table,
    parse_domain_list,
    parse_footer,
    parse_integrations_list,
    parse_parameters,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_ranges import expand
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_read import STATUSES
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_redact import REDACTED_RE, find_secrets
from ansible_collections.ecss.callapi.tests.unit.plugins.modules.cocon_fake import FIXTURES, fixture_name

CONSOLES = os.path.join(FIXTURES, "consoles")
KNOWN_LAYOUTS = ("table", "lines")


def console_directories():
    chosen = os.environ.get("ECSS_CONSOLE_FIXTURES")
    if chosen:
        return [os.path.abspath(path) for path in chosen.split(os.pathsep) if path]
    return sorted(path.rstrip(os.sep) for path in glob.glob(os.path.join(CONSOLES, "*", "")))


def load_yaml(directory, name):
    with io.open(os.path.join(directory, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def answers():
    cases = []
    for directory in console_directories():
        for entry in load_yaml(directory, "commands.yml")["commands"]:
            cases.append(pytest.param(directory, entry, id="%s:%s" % (os.path.basename(directory), entry["file"])))
    return cases


class Answer(object):
    """One recorded answer and what its console's cocon_facts decided."""

    def __init__(self, directory, entry):
        self.command = entry["command"]
        self.status = entry["status"]
        with io.open(os.path.join(directory, entry["file"]), encoding="utf-8", newline="") as handle:
            self.raw = handle.read()
        self.capabilities = load_yaml(directory, "capabilities.yml")
        words = self.command.split(" ")
        self.path, self.arguments = words[0], words[1:]
        self.domain = self.path.split("/")[2] if self.path.startswith("/domain/") and self.path.count("/") > 2 else None

    @property
    def tested_here(self):
        """Whether cocon_facts tested alias/info and ranges in this answer's domain."""
        return self.domain is not None and self.domain == self.capabilities.get("domain")


def check_domain_list(answer):
    domains = parse_domain_list(answer.raw)
    assert domains, "domain/list shows no domain"
    agrees(answer, "domains", domains)


def check_integrations_list(answer):
    assert parse_box_table(parse_footer(answer.raw)[0]) is not None, "integrations/list is not a table"
    for row in parse_integrations_list(answer.raw):
        assert row["client_id"]
        assert row["api_key"] is None or REDACTED_RE.match(row["api_key"]), "an API key is not redacted"


def agrees(answer, key, value):
    """What an answer shows agrees with what cocon_facts found (nothing to agree with when it failed)."""
    if key in answer.capabilities:
        assert value == answer.capabilities[key], "the answer shows %s=%r, cocon_facts found %r" % (
            key, value, answer.capabilities[key])


def check_csta_info(answer):
    if answer.status == "no_such_command":
        agrees(answer, "csta_info_layout", "absent")
        return
    layout, parameters = parse_parameters(answer.raw)
    assert layout in KNOWN_LAYOUTS, "/api/csta/info in a layout the collection does not read"
    agrees(answer, "csta_info_layout", layout)
    assert "enabled" in parameters


def check_alias_info(answer):
    alias = answer.arguments[0]
    members = expand(alias)
    if len(members) > 1:
        shown = answer.status == "ok" and all(
            member in parse_alias_info(answer.raw)[1] for member in members)
        if answer.tested_here and answer.capabilities.get("number_ranges_tested"):
            agrees(answer, "number_ranges", shown)
        return
    if answer.status != "ok":
        return
    layout, found = parse_alias_info(answer.raw, alias)
    assert layout in KNOWN_LAYOUTS, "alias/info in a layout the collection does not read"
    assert alias in found
    if answer.tested_here:
        agrees(answer, "alias_info_layout", layout)


def check_footer_only(answer):
    """No parser of the collection reads sip/user/info yet: its footer at least."""


CHECKS = (
    (lambda path: path == "/domain/list", check_domain_list),
    (lambda path: path == "/api/csta/info", check_csta_info),
    (lambda path: path.endswith("/integrations/list"), check_integrations_list),
    (lambda path: path.endswith("/alias/info"), check_alias_info),
    (lambda path: path.endswith("/sip/user/info"), check_footer_only),
)
# Statuses whose check runs on a failure answer too.
CHECKS_FAILURES = (check_csta_info, check_alias_info)


def test_there_are_consoles_to_check():
    assert console_directories(), "no console fixtures in %s" % CONSOLES


@pytest.mark.parametrize("directory", console_directories())
def test_the_directory_holds_the_bundle_and_nothing_else(directory):
    manifest = load_yaml(directory, "commands.yml")
    files = [entry["file"] for entry in manifest["commands"]]
    assert sorted(os.listdir(directory)) == sorted(files + ["capabilities.yml", "commands.yml"])
    for entry in manifest["commands"]:
        # The name the fake console looks for, so the modules' tests can answer from it too.
        assert entry["file"] == fixture_name(entry["command"]) + ".txt"
    assert "number_ranges" in load_yaml(directory, "capabilities.yml")


@pytest.mark.parametrize("directory, entry", answers())
def test_the_failure_marker_selects_the_recorded_status(directory, entry):
    answer = Answer(directory, entry)
    if answer.status == "timeout":
        assert answer.raw == ""
        return
    found = classify_failure(answer.raw)
    status = "ok" if found is None else next(name for error_class, name in STATUSES if issubclass(found[0], error_class))
    assert status == answer.status


@pytest.mark.parametrize("directory, entry", answers())
def test_the_parser_reads_the_answer_as_the_console_meant_it(directory, entry):
    answer = Answer(directory, entry)
    assert not find_secrets(answer.raw), "something in the answer looks like a secret that was not redacted"
    if answer.status == "ok":
        footer = parse_footer(answer.raw)[1]
        assert footer is not None, "no footer"
        if answer.capabilities.get("nodes"):
            assert footer["nodes"] == answer.capabilities["nodes"]
    check = next(check for matches, check in CHECKS if matches(answer.path))
    if answer.status == "ok" or check in CHECKS_FAILURES:
        check(answer)
