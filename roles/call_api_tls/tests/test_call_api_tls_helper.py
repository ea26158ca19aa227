"""Unit tests of the role's text/data filters (run: pytest roles/call_api_tls/tests)."""

import importlib.util
import pathlib

import pytest

_spec = importlib.util.spec_from_file_location(
    "call_api_tls_helper",
    pathlib.Path(__file__).resolve().parents[1] / "files" / "call_api_tls_helper.py",
)
filters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(filters)

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
    return filters.call_api_tls_site_edit(text, port, cert, key, list(protocols))


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
    with pytest.raises(filters.SiteError, match="cannot tell"):
        edit(two)


def test_crlf_line_endings_survive():
    result = edit(SEED_SITE.replace("\n", "\r\n"))
    assert "listen 8088 ssl default_server;\r\n" in result
    assert "\r\n" in result and "\n" not in result.replace("\r\n", "")


@pytest.mark.parametrize("bad", ["/etc/a b.crt", "/etc/x.crt;evil", "/etc/$x"])
def test_unsafe_paths_are_rejected(bad):
    with pytest.raises(filters.SiteError, match="unquoted"):
        edit(SEED_SITE, cert=bad)


def test_unknown_protocol_is_rejected():
    with pytest.raises(filters.SiteError, match="ssl_protocols"):
        edit(SEED_SITE, protocols=["TLSv1.4"])


def test_unbalanced_file_is_rejected():
    with pytest.raises(filters.SiteError, match="unclosed"):
        edit("server {\n listen 8088;\n")


def test_pem_certs_split_in_order():
    bundle = ("junk\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
              "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----")
    assert filters.call_api_tls_pem_certs(bundle) == [
        "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n",
    ]


def test_wanted_sans():
    assert filters.call_api_tls_wanted_sans(["Node1.", "10.0.0.5", "::1", "node1"]) == [
        "DNS:node1", "IP:10.0.0.5", "IP:::1"]


def test_uncovered_names():
    sans = ["DNS:*.example.com", "IP:10.0.0.5", "IP:0:0:0:0:0:0:0:1"]
    assert filters.call_api_tls_uncovered(
        ["a.example.com", "a.b.example.com", "example.com", "10.0.0.5", "::1", "10.0.0.6"],
        sans) == ["a.b.example.com", "example.com", "10.0.0.6"]


def test_chain_problems():
    leaf = {"subject": {"CN": "leaf"}, "issuer": {"CN": "int"}, "authority_key_identifier": "AA"}
    inter = {"subject": {"CN": "int"}, "issuer": {"CN": "root"}, "subject_key_identifier": "AA"}
    assert filters.call_api_tls_chain_problems([leaf, inter]) == []
    assert "not issued by" in filters.call_api_tls_chain_problems([inter, leaf])[0]
    inter_other_key = dict(inter, subject_key_identifier="BB")
    assert "key id" in filters.call_api_tls_chain_problems([leaf, inter_other_key])[0]


def test_normalize_sans():
    assert filters.call_api_tls_normalize_sans(
        ["DNS:Node1", "IP:0:0:0:0:0:0:0:1", "email:a@b"]) == ["DNS:node1", "IP:::1"]


def test_json_protocol_round_trip():
    import io
    import json
    out = io.StringIO()
    status = filters.main(io.StringIO(json.dumps({
        "op": "names", "names": ["node1", "10.0.0.5"], "sans": ["DNS:NODE1"], "certs": []})), out)
    answer = json.loads(out.getvalue())
    assert status == 0
    assert answer["uncovered"] == ["10.0.0.5"] and answer["sni"] == "node1"
    out = io.StringIO()
    request = {"op": "site_edit", "text": "server {\n", "port": 1, "cert_path": "/a", "key_path": "/b",
               "protocols": ["TLSv1.2"]}
    assert filters.main(io.StringIO(json.dumps(request)), out) == 1
    assert "unclosed" in json.loads(out.getvalue())["msg"]
