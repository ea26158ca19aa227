# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CoCon client whose console answers from fixture files named after the command.

Only the transport is fake: ``run()`` (typed errors, ``temporary locked`` retries, footers,
capabilities) is the real client's.  ``FakeConsole(dialect)`` looks in ``fixtures/<dialect>/``
first, then ``fixtures/``; ``answers`` overrides a command with text or an exception; every
command sent is kept in ``sent``.  A command without a fixture fails the test.  Files are kept with LF endings (sanity's
line-endings test); for the ``crlf_flat`` dialect the fake answers with CR LF, as that console does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
import re

import pytest

from ansible.module_utils.common import warnings as ansible_warnings
from ansible_collections.ecss.callapi.tests.unit.compat.module_args import patch_module_args
try:
    from ansible.module_utils import _internal as ansible_internal  # ansible-core 2.19+
except ImportError:
    ansible_internal = None
from ansible_collections.ecss.callapi.plugins.module_utils import cocon_module
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import CoconClient

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
PASSWORD = "fake-cocon-password-7"


def fixture_name(command):
    return re.sub(r"[^A-Za-z0-9.@-]+", "_", command.strip("/ ")).strip("_")


class FakeConsole(object):

    def __init__(self, dialect=None, answers=None):
        self.crlf = dialect == "crlf_flat"
        self.directories = ([os.path.join(FIXTURES, dialect)] if dialect else []) + [FIXTURES]
        self.answers = dict(answers or {})
        self.sent = []

    def answer(self, command):
        self.sent.append(command)
        if command in self.answers:
            answer = self.answers[command]
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
            if isinstance(answer, Exception):
                raise answer
            return answer
        name = fixture_name(command)
        times = self.sent.count(command)
        for directory in self.directories:
            for candidate in ("%s.%d.txt" % (name, times), name + ".txt"):
                path = os.path.join(directory, candidate)
                if os.path.exists(path):
                    with io.open(path, encoding="utf-8", newline="") as handle:
                        text = handle.read()
                    return text.replace("\n", "\r\n") if self.crlf else text
        raise AssertionError("no fixture %s.txt for %r" % (name, command))


def fake_client_class(console):

    class FakeClient(CoconClient):
        """Sends nothing anywhere: the fake console answers."""

        def connect(self):
            self.connections_opened += 1
            return self

        def _send(self, command):
            self.commands_sent += 1
            self.connections_opened = self.connections_opened or 1
            return console.answer(command)

    return FakeClient


def warnings(result):
    """The warning texts of a module result (ansible-core 2.19 returns them as structured summaries)."""
    texts = []
    for warning in result.get("warnings", []):
        if isinstance(warning, dict):
            warning = (warning.get("event") or {}).get("msg", warning.get("msg"))
        texts.append(warning)
    return texts


def run_module(module, args, console, monkeypatch, capsys, check_mode=False, diff=False):
    """Run ``module.main()`` with ``args`` against ``console``; return its result dict."""
    monkeypatch.setattr(cocon_module, "CoconClient", fake_client_class(console))
    args = dict(dict(cocon_password=PASSWORD, cocon_known_hosts="/nonexistent/known_hosts"), **args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    # Warnings are kept process-wide (and told once); each module run here is a process of its own.
    # Once controller code was imported (the filter tests do), ansible-core would print them instead.
    getattr(ansible_warnings, "_global_warnings", {}).clear()
    if ansible_internal is not None:
        monkeypatch.setattr(ansible_internal, "is_controller", False, raising=False)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    assert PASSWORD not in out
    return json.loads(out)
