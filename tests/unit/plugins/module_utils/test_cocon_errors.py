# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one declared list of failure markers selects the error class; nothing else reads wording."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils import cocon_errors as errors

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name):
    with io.open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.mark.parametrize("name, error_class, words", [
    ("no_such_command.txt", errors.CoconUnknownCommandError,
     "There is no such command: domain/biysk.local/integrations/lst"),
    ("invalid_arguments.txt", errors.CoconInvalidArgumentsError, "Invalid command's arguments: unexpected argument \"foo\""),
    ("temporary_locked.txt", errors.CoconLockedError,
     "Command error: Configuration is temporary locked by another session, try again later"),
])
def test_markers_select_the_class_and_keep_coCons_words(name, error_class, words):
    assert errors.classify_failure(fixture(name)) == (error_class, words)
    error = errors.error_for_answer("/x", fixture(name))
    assert type(error) is error_class and error.words == words and error.command == "/x"
    assert isinstance(error, errors.CoconCommandError)
    assert "CoCon refused '/x': " + words == str(error)


def test_command_error_is_the_plain_class():
    found = errors.classify_failure("Command error: Domain x does not exist [exec at: 1, exec time: 1ms, nodes: n]")
    assert found == (errors.CoconCommandError, "Command error: Domain x does not exist")


@pytest.mark.parametrize("name", ["integrations_add.2019.txt", "alias_set.2019.txt", "integrations_list.2019.txt",
                                  "alias_set.flagged.crlf.txt", "api_csta_info.lines.txt"])
def test_answers_without_a_marker_are_not_failures(name):
    assert errors.classify_failure(fixture(name)) is None
    assert errors.error_for_answer("/x", fixture(name)) is None


def test_the_first_failing_line_counts():
    text = "some output\r\nInvalid command's arguments: a\r\nCommand error: b\r\n"
    assert errors.classify_failure(text) == (errors.CoconInvalidArgumentsError, "Invalid command's arguments: a")


def test_channel_errors_never_ran_and_are_connection_errors():
    error = errors.CoconChannelError("refused", "/x", how="refused a second exec channel")
    assert error.ran is False and isinstance(error, errors.CoconConnectionError)
