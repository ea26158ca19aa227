# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on the controller that only their owner may read: directories 0700, files 0600.

For action plugins that write on the controller in their own process, with no module run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import tempfile

from ansible.errors import AnsibleActionFail


def private_directory(path, check_mode):
    """Make ``path`` and each missing parent 0700 (as ansible.builtin.file state=directory mode=0700 does)."""
    missing = []
    while not os.path.isdir(path):
        if os.path.lexists(path):
            raise AnsibleActionFail("%s exists and is not a directory" % path)
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if not missing:
        if stat.S_IMODE(os.stat(path).st_mode) == 0o700:
            return False
        if not check_mode:
            os.chmod(path, 0o700)
        return True
    if not check_mode:
        for created in reversed(missing):
            os.mkdir(created, 0o700)
            os.chmod(created, 0o700)  # whatever the umask
    return True


def private_file(path, data, check_mode):
    """Write ``data`` (bytes) to ``path`` 0600 by an atomic rename; True when the file changes."""
    try:
        with open(path, "rb") as handle:
            same = handle.read() == data
        same = same and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    except OSError:
        same = False
    if same or check_mode:
        return not same
    descriptor, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    return True


def write_private_files(directory, files, check_mode):
    """Make ``directory`` 0700, then write each ``(path, bytes)`` of ``files`` 0600.

    Returns whether anything changed (the directory or a file) and the paths of the files written.
    """
    changed = private_directory(directory, check_mode)
    written = []
    for path, data in files:
        if private_file(path, data, check_mode):
            written.append(path)
    return changed or bool(written), written
