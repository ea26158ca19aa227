# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The ``attributes`` every module of the collection documents, once.

    ``ecss.callapi.attributes`` names the attributes; add ``ecss.callapi.attributes.state``
    (a module that changes something, with check mode and diff) or
    ``ecss.callapi.attributes.info`` (a module that only reads), and
    ``ecss.callapi.attributes.cocon_group`` for members of the C(cocon) action group. A module states
    only what differs (for example a C(details) line of its own).
    """

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a prediction of C(changed) without changing anything.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when run with C(--diff).
  action_group:
    description: Use C(group/ecss.callapi.<group>) in C(module_defaults) to set options of this module.
"""

    STATE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - Only read commands reach the console; RV(commands) lists the commands that would be sent.
  diff_mode:
    support: full
"""

    INFO = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module only reads.
"""

    COCON_GROUP = r"""
options: {}
attributes:
  action_group:
    support: full
    membership:
      - ecss.callapi.cocon
"""
