# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shapes between the ecss_domains variable, the CoCon modules and the widget settings files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import mask_key


def subscriber_aliases(subscribers):
    """``ecss_domains[].subscribers`` -> the ``aliases`` option of ecss.callapi.alias_property."""
    aliases = []
    for subscriber in subscribers or []:
        entry = {"alias": str(subscriber["number"])}
        for key in ("group", "iface"):
            if subscriber.get(key) is not None:
                entry[key] = subscriber[key]
        aliases.append(entry)
    return aliases


def widget_settings(domain, api_key, call_api_host, call_api_port):
    """What the operator types into the amoCRM widget, and the phone each amoCRM user enters."""
    port = int(call_api_port)
    return {
        "domain": domain["name"],
        "client_id": domain["client_id"],
        "api_key": api_key,
        "integration_type": domain.get("integration_type") or "plain",
        "call_api_host": call_api_host,
        "call_api_port": port,
        "call_api_url": "https://%s:%d" % ("[%s]" % call_api_host if ":" in call_api_host else call_api_host, port),
        "users": [
            {"name": subscriber.get("amocrm_user"), "phone": str(subscriber["number"])}
            for subscriber in domain.get("subscribers") or []
        ],
    }


def widget_summary(integration_results, settings_dir, call_api_host, call_api_port):
    """Per domain, what the operator needs to know, safe to show and to publish: the key masked."""
    summary = {}
    for result in integration_results:
        domain = result["widget_setup_domain"]
        settings = widget_settings(domain, result.get("api_key"), call_api_host, call_api_port)
        settings["api_key"] = mask_key(settings["api_key"]) or "(issued by the real run; check mode cannot know it)"
        settings["api_key_fingerprint"] = result.get("api_key_fingerprint")
        settings["settings_files"] = ["%s/%s.%s" % (settings_dir.rstrip("/"), domain["name"], ext) for ext in ("json", "yml")]
        summary[domain["name"]] = settings
    return summary


class FilterModule(object):

    def filters(self):
        return {
            "subscriber_aliases": subscriber_aliases,
            "widget_settings": widget_settings,
            "widget_summary": widget_summary,
        }
