# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shapes between the ecss_domains variable, the CoCon modules and the widget settings files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

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


def _client_ids(result):
    return sorted(entry.get("client_id") for entry in result.get("integrations") or [])


def widget_integration_problems(existing_results, action, records=None):
    """Why ``rotate`` or ``remove`` must not start, from integration_info results looped over ecss_domains.

    ``records`` (remove only) maps each domain name to what its settings files record
    (``settings_client_id`` from <domain>.json, ``removed_client_id`` from <domain>.removed.json).
    """
    if action not in ("rotate", "remove"):
        raise AnsibleFilterError("widget_integration_problems: action must be rotate or remove, got %r" % (action,))
    problems = []
    for result in existing_results:
        domain = result["widget_setup_domain"]
        name, client_id = domain["name"], domain["client_id"]
        if result.get("failed") or "integrations" not in result:
            problems.append("domain %s: %s" % (name, result.get("msg") or "CoCon could not list its integrations"))
            continue
        client_ids = _client_ids(result)
        if action == "rotate":
            if client_id not in client_ids:
                problems.append("domain %s has no integration %r to rotate (%s); run site.yml to create it"
                                % (name, client_id, _holding(client_ids)))
            continue
        record = (records or {}).get(name) or {}
        recorded = record.get("settings_client_id")
        if recorded is not None and recorded != client_id:
            problems.append("domain %s: client_id %r, but %s.json (written by site.yml) records %r - a typo?"
                            % (name, client_id, name, recorded))
        elif client_id not in client_ids and client_ids and not removal_confirmed(record, client_id):
            problems.append("domain %s has no integration %r but %s - a typo? (Nothing on record says that "
                            "%r was removed before.)" % (name, client_id, _holding(client_ids), client_id))
    return problems


def _holding(client_ids):
    return "it holds %s" % ", ".join(repr(c) for c in client_ids) if client_ids else "it holds none"


def removal_confirmed(record, client_id):
    """The settings files say ``client_id`` was this domain's integration: its absence means removed already."""
    record = record or {}
    return client_id in (record.get("settings_client_id"), record.get("removed_client_id"))


def widget_rotation_report(rotated_results, in_progress, settings_dir, domains):
    """The failure message of an interrupted rotation: which keys changed and where each one is now."""
    directory = settings_dir.rstrip("/")
    written = [result["widget_setup_domain"]["name"] for result in rotated_results]
    lines = []
    if written:
        lines.append("Rotated, new key already in its settings files: %s." % ", ".join(
            "%s (%s/%s.json and .yml)" % (name, directory, name) for name in written))
    pending = (in_progress or {}).get("domain")
    if pending and pending not in written:
        if (in_progress or {}).get("replaced"):
            lines.append("Rotated, but the new key could NOT be written: %s - CoCon holds it; run site.yml, which "
                         "reads existing keys back (never issues new ones) and writes the settings files." % pending)
        else:
            lines.append("Maybe rotated (the replace did not finish): %s - run site.yml to read back whatever key "
                         "CoCon holds now and write it to the settings files." % pending)
    untouched = [d["name"] for d in domains if d["name"] not in written and d["name"] != pending]
    if untouched:
        lines.append("Not rotated, old key still valid: %s." % ", ".join(untouched))
    return " ".join(lines)


class FilterModule(object):

    def filters(self):
        return {
            "subscriber_aliases": subscriber_aliases,
            "widget_integration_problems": widget_integration_problems,
            "widget_removal_confirmed": removal_confirmed,
            "widget_rotation_report": widget_rotation_report,
            "widget_settings": widget_settings,
            "widget_summary": widget_summary,
        }
