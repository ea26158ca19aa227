# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hide integration_info's result from output when it was asked to reveal keys."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.action.integration import ActionModule as SecretResultAction


class ActionModule(SecretResultAction):

    def result_holds_secrets(self, result):
        return any(entry.get("api_key") for entry in result.get("integrations") or [])
