# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""integration_info's result is shown whole unless it holds keys (reveal_keys): see action/integration.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.action.integration import ActionModule as SecretResultAction


class ActionModule(SecretResultAction):
    pass
