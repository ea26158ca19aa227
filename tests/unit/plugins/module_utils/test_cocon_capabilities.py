# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capabilities handed in (from cocon_facts) and reported back by every module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_capabilities import CoconCapabilities
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError


def test_what_cocon_facts_returns_goes_back_in_unchanged():
    capabilities = CoconCapabilities()
    capabilities.learn("number_ranges", True)
    capabilities.learn("exec_channels_per_connection", "one")
    capabilities.learn("interactive_shell", True)
    capabilities.learn("csta_info_layout", "lines")
    capabilities.saw_footer({"exec_time_ms": 30, "nodes": "ds1@ecss1 v.3.14.7.585", "exec_at": "x"})
    capabilities.saw_footer({"exec_time_ms": 10, "nodes": "ds1@ecss1 v.3.14.7.585", "exec_at": "x"})
    reported = capabilities.as_dict()
    assert reported["node"] == "ds1@ecss1" and reported["version"] == "3.14.7.585"
    assert reported["exec_time_ms_median"] == 20 and reported["interactive_shell"] is True
    again = CoconCapabilities.from_option(reported)
    assert again.as_dict() == dict(reported, nodes=None, node=None, version=None, exec_time_ms_median=None)


def test_untested_ranges_stay_unknown_and_unknown_layouts_are_found_out_again():
    capabilities = CoconCapabilities.from_option({"number_ranges": False, "number_ranges_tested": False,
                                                  "alias_info_layout": "unknown"})
    assert capabilities.number_ranges is None and capabilities.alias_info_layout is None
    assert CoconCapabilities.from_option({"number_ranges": False}).number_ranges is False


def test_an_older_footer_names_no_version():
    capabilities = CoconCapabilities()
    capabilities.saw_footer({"exec_time_ms": 28, "nodes": "ds1@ecss1", "exec_at": "x"})
    assert (capabilities.as_dict()["node"], capabilities.as_dict()["version"]) == ("ds1@ecss1", None)


@pytest.mark.parametrize("value, words", [
    ("many", "must be a dict"),
    ({"number_ranges": "yes"}, "number_ranges must be true, false or null"),
    ({"exec_channels_per_connection": "two"}, "must be one of many, one or null"),
    ({"interactive_shell": "yes"}, "interactive_shell must be true, false or null"),
    ({"alias_info_layout": "grid"}, "must be one of table, lines, absent, unknown or null"),
])
def test_bad_values_are_refused(value, words):
    with pytest.raises(CoconInputError) as error:
        CoconCapabilities.from_option(value)
    assert words in str(error.value)


def test_warnings_are_told_once():
    capabilities = CoconCapabilities()
    assert capabilities.learn("number_ranges", False, "no ranges") is True
    assert capabilities.learn("number_ranges", False, "no ranges") is False
    assert capabilities.take_warnings() == ["no ranges"] and capabilities.take_warnings() == []
