# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's widget settings -> an amoCRM widget's template keys, and the settings comparison."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    AmoCRMError, widget_settings_from_collection, widget_settings_match, widget_target_conflicts)


def amocrm_widget_settings(values, fields=None):
    """``<domain>.json`` (or the widget_settings filter's result) -> the ``settings`` of ecss.callapi.amocrm_widget."""
    try:
        return widget_settings_from_collection(values or {}, fields or {})
    except AmoCRMError as e:
        raise AnsibleFilterError(str(e))


def amocrm_widget_settings_match(wanted, info, secret_keys=None):
    """Compare wanted settings with a registered ecss.callapi.amocrm_widget_info result."""
    try:
        return widget_settings_match(wanted or {}, info or {}, secret_keys or ())
    except AmoCRMError as e:
        raise AnsibleFilterError(str(e))


def amocrm_widget_conflicts(domains, accounts=None, defaults=None):
    """Domains that would write their settings into the same widget of the same amoCRM account."""
    return widget_target_conflicts(domains or [], accounts or {}, defaults or {})


class FilterModule(object):

    def filters(self):
        return {
            "amocrm_widget_conflicts": amocrm_widget_conflicts,
            "amocrm_widget_settings": amocrm_widget_settings,
            "amocrm_widget_settings_match": amocrm_widget_settings_match,
        }
