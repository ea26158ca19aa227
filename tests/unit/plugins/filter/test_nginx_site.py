# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.filter.nginx_site import nginx_site_tls_edit

SEED_SITE = """\
server {
ssl on;
listen 8088 default_server;
listen [::]:8088 default_server;
resolver 127.0.0.1;
ssl_certificate /etc/ecss/ssl/call_api.crt;
ssl_certificate_key /etc/ecss/ssl/call_api.key;

    location / {
        proxy_pass http://127.0.0.1:9990;   # the Call API
        ssl on;
    }
}
"""


def edit(text, port=8088, cert="/etc/ecss/ssl/new.crt", key="/etc/ecss/ssl/new.key",
         protocols=("TLSv1.2", "TLSv1.3")):
    return nginx_site_tls_edit(text, port, cert, key, list(protocols) if isinstance(protocols, tuple) else protocols)


def test_seed_site_is_migrated_in_place():
    assert edit(SEED_SITE) == """\
server {
listen 8088 ssl default_server;
listen [::]:8088 ssl default_server;
ssl_protocols TLSv1.2 TLSv1.3;
resolver 127.0.0.1;
ssl_certificate /etc/ecss/ssl/new.crt;
ssl_certificate_key /etc/ecss/ssl/new.key;

    location / {
        proxy_pass http://127.0.0.1:9990;   # the Call API
        ssl on;
    }
}
"""


def test_edit_is_idempotent():
    once = edit(SEED_SITE)
    assert edit(once) == once


def test_listen_addresses_and_parameters_are_kept():
    site = ("server {\n  listen 10.0.0.5:8088 default_server;\n  listen [::1]:8088;\n"
            "  listen 80;\n  ssl_protocols TLSv1;  # old\n}\n")
    assert edit(site) == (
        "server {\n  listen 10.0.0.5:8088 ssl default_server;\n  listen [::1]:8088 ssl;\n"
        "  listen 80;\n  ssl_certificate /etc/ecss/ssl/new.crt;\n"
        "  ssl_certificate_key /etc/ecss/ssl/new.key;\n"
        "  ssl_protocols TLSv1.2 TLSv1.3;  # old\n}\n")


def test_only_the_block_on_the_port_is_touched():
    other = "server {\n    listen 80;\n    ssl_certificate /x.crt;\n}\n"
    site = other + SEED_SITE
    assert edit(site).startswith(other)


def test_single_block_moves_to_a_new_port():
    result = edit(SEED_SITE, port=8089)
    assert "listen 8089 ssl default_server;" in result
    assert "listen [::]:8089 ssl default_server;" in result


def test_ambiguous_file_is_rejected():
    two = "server {\n listen 80;\n}\nserver {\n listen 81;\n}\n"
    with pytest.raises(AnsibleFilterError, match="cannot tell"):
        edit(two)


def test_crlf_line_endings_survive():
    result = edit(SEED_SITE.replace("\n", "\r\n"))
    assert "listen 8088 ssl default_server;\r\n" in result
    assert "\r\n" in result and "\n" not in result.replace("\r\n", "")


@pytest.mark.parametrize("bad", ["/etc/a b.crt", "/etc/x.crt;evil", "/etc/$x"])
def test_unsafe_paths_are_rejected(bad):
    with pytest.raises(AnsibleFilterError, match="unquoted"):
        edit(SEED_SITE, cert=bad)


def test_unknown_protocol_is_rejected():
    with pytest.raises(AnsibleFilterError, match="ssl_protocols"):
        edit(SEED_SITE, protocols=["TLSv1.4"])


def test_unbalanced_file_is_rejected():
    with pytest.raises(AnsibleFilterError, match="unclosed"):
        edit("server {\n listen 8088;\n")


@pytest.mark.parametrize("port, protocols, words", [
    ("http", ["TLSv1.2"], "port must be a number"),
    (70000, ["TLSv1.2"], "out of range"),
    (8088, "TLSv1.2", "protocols must be a list"),
    (8088, [], "none given"),
])
def test_bad_arguments_are_rejected(port, protocols, words):
    with pytest.raises(AnsibleFilterError, match=words):
        edit(SEED_SITE, port=port, protocols=protocols)


def test_a_second_certificate_pair_in_the_block_is_dropped():
    site = SEED_SITE.replace("ssl_certificate_key /etc/ecss/ssl/call_api.key;\n",
                             "ssl_certificate_key /etc/ecss/ssl/call_api.key;\nssl_certificate /old/second.crt;\n")
    result = edit(site)
    assert "/old/second.crt" not in result
    assert result.count("ssl_certificate ") == 1


def test_tls_state_of_the_factory_file_and_of_the_edited_one():
    from ansible_collections.ecss.callapi.plugins.filter.nginx_site import nginx_site_tls_edit, nginx_site_tls_state
    assert nginx_site_tls_state(SEED_SITE, 8088) == dict(
        listens=True, tls=True, ssl_on=True, certificate="/etc/ecss/ssl/call_api.crt",
        certificate_key="/etc/ecss/ssl/call_api.key", error=None)
    edited = nginx_site_tls_edit(SEED_SITE, 8088, "/etc/ecss/ssl/call_api.crt", "/etc/ecss/ssl/call_api.key",
                                 ["TLSv1.2", "TLSv1.3"])
    assert nginx_site_tls_state(edited, 8088)["ssl_on"] is False
    assert nginx_site_tls_state(edited, 8088)["tls"] is True


def test_tls_state_without_tls_other_port_or_broken_file():
    from ansible_collections.ecss.callapi.plugins.filter.nginx_site import nginx_site_tls_state
    plain = SEED_SITE.replace("ssl on;\n", "")
    assert nginx_site_tls_state(plain, 8088)["tls"] is False
    half = plain.replace("listen 8088 default_server;", "listen 8088 ssl default_server;")
    assert nginx_site_tls_state(half, 8088)["tls"] is False  # the [::] listen still has no ssl
    assert nginx_site_tls_state(SEED_SITE, 8089)["listens"] is False
    assert "unclosed" in nginx_site_tls_state(SEED_SITE.rstrip("}\n"), 8088)["error"]
