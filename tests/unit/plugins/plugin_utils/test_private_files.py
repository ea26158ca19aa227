# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller files with keys or reports in them: directory 0700, files 0600, written only when they differ, nothing in check mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.ecss.callapi.plugins.plugin_utils.private_files import private_directory as _directory
from ansible_collections.ecss.callapi.plugins.plugin_utils.private_files import private_file as _write
from ansible_collections.ecss.callapi.plugins.plugin_utils.private_files import write_private_files


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_directory_is_made_0700_with_its_missing_parents(tmp_path):
    dest = str(tmp_path / "a" / "report")
    assert _directory(dest, check_mode=True) is True and not os.path.exists(dest)
    assert _directory(dest, check_mode=False) is True
    assert mode(dest) == 0o700 and mode(str(tmp_path / "a")) == 0o700
    assert _directory(dest, check_mode=False) is False


def test_existing_directory_is_made_0700(tmp_path):
    os.chmod(str(tmp_path), 0o755)
    assert _directory(str(tmp_path), check_mode=True) is True and mode(str(tmp_path)) == 0o755
    assert _directory(str(tmp_path), check_mode=False) is True and mode(str(tmp_path)) == 0o700
    assert _directory(str(tmp_path), check_mode=True) is False


def test_a_file_where_the_directory_goes_is_an_error(tmp_path):
    (tmp_path / "report").write_text("x")
    with pytest.raises(AnsibleActionFail, match="not a directory"):
        _directory(str(tmp_path / "report"), check_mode=False)


def test_file_is_written_0600_once_and_never_in_check_mode(tmp_path):
    path = str(tmp_path / "readiness.json")
    assert _write(path, b"{}\n", check_mode=True) is True and not os.path.exists(path)
    assert _write(path, b"{}\n", check_mode=False) is True
    assert mode(path) == 0o600 and open(path, "rb").read() == b"{}\n"
    assert _write(path, b"{}\n", check_mode=False) is False
    os.chmod(path, 0o644)
    assert _write(path, b"{}\n", check_mode=False) is True and mode(path) == 0o600
    assert _write(path, b"[]\n", check_mode=True) is True and open(path, "rb").read() == b"{}\n"
    assert os.listdir(str(tmp_path)) == ["readiness.json"]


def test_files_are_written_into_a_private_directory_and_only_changes_are_reported(tmp_path):
    dest = str(tmp_path / "settings")
    files = [(os.path.join(dest, "a.json"), b"{}\n"), (os.path.join(dest, "a.yml"), b"{}\n")]
    assert write_private_files(dest, files, check_mode=True) == (True, [path for path, _data in files])
    assert not os.path.exists(dest)
    assert write_private_files(dest, files, check_mode=False) == (True, [path for path, _data in files])
    assert mode(dest) == 0o700 and all(mode(path) == 0o600 for path, _data in files)
    assert write_private_files(dest, files, check_mode=False) == (False, [])
    os.chmod(dest, 0o755)
    assert write_private_files(dest, files, check_mode=False) == (True, []) and mode(dest) == 0o700
    assert write_private_files(dest, [(files[1][0], b"x: 1\n")], check_mode=False) == (True, [files[1][0]])
