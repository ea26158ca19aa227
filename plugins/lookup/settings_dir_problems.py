# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: settings_dir_problems
version_added: 0.1.0
author: ecss.callapi contributors (@ecss)
short_description: Why a controller directory may not hold the widget settings (nothing when it may)
description:
  - Checks, on the controller and without changing anything, that a directory can be dedicated to
    files that hold API keys and tokens, so a playbook can refuse it before a key is issued or a
    file is written.
  - A directory that exists must be a real directory (not a symbolic link), belong to the user who
    runs Ansible, be writable by that user and by nobody else (no group or world write bit, no
    sticky bit), and hold nothing but settings files of this collection (regular files of that user
    named C(<name>.json), C(.yml), C(.md) or C(.html)).
  - A directory that does not exist yet must be creatable; the playbooks then create it with mode 0700.
  - An existing directory is never changed by this check; the playbooks refuse it rather than
    change its mode, so a shared directory stays as it was.
options:
  _terms:
    description: The directory; C(~) is expanded, a relative path is taken from the current directory.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a settings directory that is not dedicated to the settings files
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "ecss_widget_settings_dir: {{ problems | join('; ') }}"
  vars:
    problems: "{{ query('ecss.callapi.settings_dir_problems', ecss_widget_settings_dir) }}"
"""

RETURN = r"""
_raw:
  description: One sentence per problem; empty when the directory may be used.
  type: list
  elements: str
"""

import errno
import os
import pwd
import re
import stat

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# Settings files of this collection: <domain>.json/.yml, <domain>.call_history.yml/.md,
# <domain>.removed.json, readiness reports.
SETTINGS_FILE_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\.(json|yml|md|html)\Z")
SHOWN_FILES = 5


def _user(uid):
    try:
        return "%s (uid %d)" % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return "uid %d" % uid


def _foreign_entries(path, uid):
    foreign = []
    for name in sorted(os.listdir(path)):
        info = os.lstat(os.path.join(path, name))
        if not (stat.S_ISREG(info.st_mode) and info.st_uid == uid and SETTINGS_FILE_RE.match(name)):
            foreign.append(name if name.isprintable() else repr(name))
    return foreign


def _missing_directory_problems(path):
    """A directory that does not exist: its nearest existing ancestor must let us create it."""
    parent = os.path.dirname(path)
    while parent and not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        return ["%s cannot be created: %s is not a directory" % (path, parent)]
    if not os.access(parent, os.W_OK | os.X_OK):
        return ["%s cannot be created: %s is not writable by %s" % (path, parent, _user(os.geteuid()))]
    return []


def settings_dir_problems(path):
    """Every reason why ``path`` may not become (or stay) the directory of the settings files."""
    path = os.path.abspath(os.path.expanduser(path))
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            return ["%s cannot be inspected: %s" % (path, exc.strerror)]
        return _missing_directory_problems(path)
    uid = os.geteuid()
    if stat.S_ISLNK(info.st_mode):
        return ["%s is a symbolic link (to %s); give the real directory, dedicated to the settings files"
                % (path, os.readlink(path))]
    if not stat.S_ISDIR(info.st_mode):
        return ["%s exists and is not a directory" % path]
    problems = []
    if info.st_uid != uid:
        problems.append("%s belongs to %s, not to %s who runs Ansible" % (path, _user(info.st_uid), _user(uid)))
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_ISVTX:
        problems.append("%s has the sticky bit (mode %04o): it is a shared directory" % (path, mode))
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        problems.append("%s is writable by %s (mode %04o)"
                        % (path, "everyone" if mode & stat.S_IWOTH else "its group", mode))
    if not os.access(path, os.W_OK | os.X_OK):
        problems.append("%s is not writable by %s" % (path, _user(uid)))
    try:
        foreign = _foreign_entries(path, uid)
    except OSError as exc:
        problems.append("%s cannot be listed: %s" % (path, exc.strerror))
    else:
        if foreign:
            problems.append("%s holds %d entr%s that are not settings files of this collection: %s%s"
                            % (path, len(foreign), "y" if len(foreign) == 1 else "ies",
                               ", ".join(foreign[:SHOWN_FILES]), ", ..." if len(foreign) > SHOWN_FILES else ""))
    return problems


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        problems = []
        for term in terms:
            if not isinstance(term, str) or not term:
                raise AnsibleLookupError("settings_dir_problems: give a directory path, got %r" % (term,))
            problems.extend(settings_dir_problems(term))
        return problems
