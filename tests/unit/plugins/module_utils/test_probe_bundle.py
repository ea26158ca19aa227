# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe bundle: a directory of its own (0700, refused rather than re-moded), files 0600, one run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import stat

import pytest
import yaml

from ansible_collections.ecss.callapi.plugins.module_utils.probe_bundle import (
    BundleError,
    answer_file_name,
    bundle_files,
    write_bundle,
)

NOW = datetime.datetime(2026, 11, 30, 10, 0, 0)
FOOTER = "\r\n\r\n[exec at: 16.02.2021 15:20:33, exec time: 25ms, nodes: ds1@ecss1 v.3.14.7.585]\r\n"
RESULTS = [
    {"command": "/domain/list", "status": "ok", "output": u"┌──────┐\r\n│Domain│\r\n└──────┘" + FOOTER, "words": None},
    {"command": "/api/csta/info", "status": "no_such_command", "words": "There is no such command: /api/csta/info",
     "output": "There is no such command: /api/csta/info" + FOOTER},
    {"command": "/domain/biysk.local/alias/info 24047{3-5} loc.gr 24047{3-5}@biysk.local", "status": "timeout",
     "output": "", "words": "CoCon did not answer \"it\" within 30s\\n"},
]
FACTS = {"cocon_capabilities": {"csta_info_layout": "absent", "exec_channels_per_connection": "one",
                                "number_ranges": False, "number_ranges_tested": True, "version": None},
         "domain": "biysk.local", "domains": ["biysk.local"], "notes": ["a note: with 'quotes'"], "changed": False}


def files():
    return bundle_files(RESULTS, FACTS, NOW)


def modes(path):
    return dict((name, stat.S_IMODE(os.lstat(os.path.join(path, name)).st_mode)) for name in os.listdir(path))


def test_one_file_per_command_named_like_the_fixtures_and_the_answer_untouched():
    written = files()
    assert answer_file_name(RESULTS[2]["command"]) == "domain_biysk.local_alias_info_24047_3-5_loc.gr_24047_3-5_@biysk.local.txt"
    assert written["domain_list.txt"] == RESULTS[0]["output"] and written["api_csta_info.txt"] == RESULTS[1]["output"]
    manifest = yaml.safe_load(written["commands.yml"])
    assert manifest["format"] == 1 and manifest["generated_at"] == "2026-11-30T10:00:00Z"
    assert manifest["commands"] == [dict(command=r["command"], file=answer_file_name(r["command"]), status=r["status"],
                                         words=r["words"]) for r in RESULTS]


def test_capabilities_yml_has_number_ranges_first_and_says_when_cocon_facts_failed():
    text = files()["capabilities.yml"]
    assert text.splitlines()[1] == "number_ranges: false"
    capabilities = yaml.safe_load(text)
    assert capabilities == dict(FACTS["cocon_capabilities"], domain="biysk.local", domains=["biysk.local"],
                                notes=["a note: with 'quotes'"])
    failed = yaml.safe_load(bundle_files([], {"failed": False, "msg": "cannot connect: refused"})["capabilities.yml"])
    assert failed == {"number_ranges": None, "cocon_facts_failed": "cannot connect: refused"}


def test_two_commands_sharing_a_file_are_refused():
    with pytest.raises(BundleError, match="share the file"):
        bundle_files([{"command": "/domain/list"}, {"command": "domain/list"}], {})


def test_a_new_directory_0700_files_0600_and_a_second_run_writes_nothing_new(tmp_path):
    path = str(tmp_path / "a" / "bundle")
    result = write_bundle(path, files())
    assert result["changed"] is True and result["created"] is True and result["removed"] == []
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    assert modes(path) == dict((name, 0o600) for name in files())
    with open(os.path.join(path, "domain_list.txt"), "rb") as handle:
        assert handle.read() == RESULTS[0]["output"].encode("utf-8")
    again = write_bundle(path, files())
    assert again["changed"] is False and again["created"] is False


def test_a_new_run_replaces_the_files_of_the_last_one(tmp_path):
    path = str(tmp_path / "bundle")
    write_bundle(path, files())
    os.chmod(path, 0o755)
    later = bundle_files(RESULTS[:1], FACTS, NOW)
    checked = write_bundle(path, later, check_mode=True)
    assert checked["changed"] is True and sorted(checked["removed"]) == sorted(set(files()) - set(later))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o755 and len(os.listdir(path)) == len(files())
    result = write_bundle(path, later)
    assert result["changed"] is True and sorted(os.listdir(path)) == sorted(later)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_check_mode_creates_nothing(tmp_path):
    path = str(tmp_path / "bundle")
    result = write_bundle(path, files(), check_mode=True)
    assert result["changed"] is True and result["created"] is True and not os.path.lexists(path)


@pytest.mark.parametrize("prepare, words", [
    (lambda p: (os.mkdir(p), os.chmod(p, 0o1777)), "sticky bit (mode 1777)"),
    (lambda p: (os.mkdir(p), os.chmod(p, 0o777)), "writable by everyone (mode 0777)"),
    (lambda p: (os.mkdir(p), os.chmod(p, 0o770)), "writable by its group (mode 0770)"),
    (lambda p: (os.mkdir(p, 0o700), os.symlink(p + "-elsewhere", os.path.join(p, "domain_list.txt"))),
     "1 entry that is not probe bundle files: domain_list.txt"),
    (lambda p: (os.mkdir(p, 0o700), open(os.path.join(p, ".bashrc"), "w").close(),
                os.mkdir(os.path.join(p, "sub"))), "2 entries that are not probe bundle files: .bashrc, sub"),
    (lambda p: (os.mkdir(p + "-target", 0o700), os.symlink(p + "-target", p)), "symbolic link"),
    (lambda p: open(p, "w").close(), "it is not a directory"),
])
def test_a_directory_not_dedicated_to_the_bundle_is_refused_and_left_as_it_is(tmp_path, prepare, words):
    path = str(tmp_path / "bundle")
    prepare(path)
    before = (os.lstat(path).st_mode, sorted(os.listdir(path)) if os.path.isdir(path) else None)
    for check_mode in (True, False):
        with pytest.raises(BundleError, match="not a directory dedicated to the probe bundle") as refused:
            write_bundle(path, files(), check_mode=check_mode)
        assert words in str(refused.value) and "left as it is" in str(refused.value)
    assert (os.lstat(path).st_mode, sorted(os.listdir(path)) if os.path.isdir(path) else None) == before


def test_a_relative_path_or_one_that_cannot_be_created_is_refused(tmp_path):
    with pytest.raises(BundleError, match="not an absolute path"):
        write_bundle("bundle", files())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BundleError, match="is not a directory"):
        write_bundle(str(blocker / "bundle"), files(), check_mode=True)
