# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.errors import AnsibleLookupError

from ansible_collections.ecss.callapi.plugins.lookup.settings_dir_problems import settings_dir_problems
from ansible_collections.ecss.callapi.plugins.lookup.settings_records import settings_records

NOBODY = 65534


def make_dir(path, mode=0o700):
    path.mkdir()
    os.chmod(str(path), mode)
    return path


def test_a_dedicated_directory_and_a_missing_one_are_fine(tmp_path):
    ours = make_dir(tmp_path / "ours")
    for name in ("biysk.local.json", "biysk.local.yml", "biysk.local.call_history.md", "b.local.removed.json",
                 "readiness.html"):
        (ours / name).write_text("{}")
    assert settings_dir_problems(str(ours)) == []
    assert settings_dir_problems(str(tmp_path / "new" / "deeper")) == []


def test_shared_directories_are_refused_and_left_alone(tmp_path):
    shared = make_dir(tmp_path / "shared", 0o1777)
    (shared / "theirs.json").write_text("{}")
    os.chown(str(shared / "theirs.json"), NOBODY, NOBODY)
    problems = settings_dir_problems(str(shared))
    assert problems == [
        "%s has the sticky bit (mode 1777): it is a shared directory" % shared,
        "%s is writable by everyone (mode 1777)" % shared,
        "%s holds 1 entry that are not settings files of this collection: theirs.json" % shared]
    assert os.stat(str(shared)).st_mode & 0o7777 == 0o1777


@pytest.mark.parametrize("entries, shown", [
    ([".bashrc"], ".bashrc"), (["notes.txt"], "notes.txt"), (["sub/"], "sub"), (["a\nb.json"], "'a\\nb.json'"),
    (["f%d.txt" % n for n in range(7)], "f0.txt, f1.txt, f2.txt, f3.txt, f4.txt, ..."),
])
def test_foreign_entries_are_named(tmp_path, entries, shown):
    directory = make_dir(tmp_path / "d")
    for entry in entries:
        if entry.endswith("/"):
            (directory / entry).mkdir()
        else:
            (directory / entry).write_text("x")
    (problem,) = settings_dir_problems(str(directory))
    assert problem.endswith(": " + shown)


def test_symlinks_group_write_other_owners_and_files_are_refused(tmp_path):
    target = make_dir(tmp_path / "target", 0o755)
    (tmp_path / "link").symlink_to(target)
    assert settings_dir_problems(str(tmp_path / "link")) == [
        "%s is a symbolic link (to %s); give the real directory, dedicated to the settings files"
        % (tmp_path / "link", target)]
    assert "is writable by its group (mode 0770)" in settings_dir_problems(str(make_dir(tmp_path / "g", 0o770)))[0]
    other = make_dir(tmp_path / "other")
    os.chown(str(other), NOBODY, NOBODY)
    assert "belongs to nobody (uid %d)" % NOBODY in settings_dir_problems(str(other))[0]
    (tmp_path / "file").write_text("x")
    assert settings_dir_problems(str(tmp_path / "file")) == ["%s exists and is not a directory" % (tmp_path / "file")]
    assert settings_dir_problems(str(tmp_path / "file" / "sub")) == [
        "%s cannot be created: %s is not a directory" % (tmp_path / "file" / "sub", tmp_path / "file")]


def records(tmp_path, *domains):
    return settings_records(str(tmp_path), domains)


def test_records_name_the_client_ids_only(tmp_path):
    (tmp_path / "a.local.json").write_text(json.dumps({"client_id": "amocrm", "api_key": "k" * 64}))
    (tmp_path / "b.local.removed.json").write_text(json.dumps({"client_id": "crm"}))
    assert records(tmp_path, "a.local", "b.local", "c.local") == [
        {"domain": "a.local", "settings_client_id": "amocrm", "removed_client_id": None},
        {"domain": "b.local", "settings_client_id": None, "removed_client_id": "crm"},
        {"domain": "c.local", "settings_client_id": None, "removed_client_id": None}]


@pytest.mark.parametrize("content, words", [("not json", "is not a JSON settings file"), ("[]", "records no client_id")])
def test_unreadable_records_stop_the_run(tmp_path, content, words):
    (tmp_path / "a.local.json").write_text(content)
    with pytest.raises(AnsibleLookupError, match=words):
        records(tmp_path, "a.local")
    with pytest.raises(AnsibleLookupError, match="is not a domain name"):
        records(tmp_path, "../a")
