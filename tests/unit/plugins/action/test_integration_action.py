# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.action.integration import holds_secret, shown_copy, without_secrets

KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"


def test_results_without_a_key_are_shown_whole():
    assert not holds_secret({"failed": True, "msg": "CoCon refused '/domain/x/integrations/list': Command error",
                             "commands": [], "api_key": None})
    assert not holds_secret({"changed": True, "api_key": None, "api_key_fingerprint": "sha256:0011223344556677",
                             "commands": ["/domain/biysk.local/integrations/remove amocrm"]})
    assert not holds_secret({"integrations": [{"client_id": "amocrm", "api_key_fingerprint": "sha256:00"}]})


def test_keys_anywhere_are_found():
    assert holds_secret({"api_key": KEY})
    assert holds_secret({"integrations": [{"client_id": "a"}, {"client_id": "b", "api_key": KEY}]})
    assert holds_secret({"failed": True, "msg": "CoCon printed New API key: %s and failed" % KEY})
    assert holds_secret({"module_stdout": ["x", {"y": KEY}]})


def test_the_shown_copy_keeps_everything_but_the_key():
    result = {"changed": True, "api_key": KEY, "api_key_fingerprint": "sha256:6f1c2a9b0e4d7a31",
              "commands": ["/domain/biysk.local/integrations/add amocrm"], "warnings": ["w"],
              "msg": "echo %s" % KEY, "invocation": {"module_args": {}}, "diff": {}, "_ansible_no_log": False,
              "integrations": [{"client_id": "a", "api_key": KEY, "api_key_fingerprint": "sha256:1"}]}
    assert shown_copy(result) == {
        "changed": True, "api_key_fingerprint": "sha256:6f1c2a9b0e4d7a31",
        "commands": ["/domain/biysk.local/integrations/add amocrm"], "warnings": ["w"], "msg": "echo <hidden>",
        "integrations": [{"client_id": "a", "api_key_fingerprint": "sha256:1"}]}
    assert without_secrets({"before": {"api_key_fingerprint": "sha256:1"}}) == {"before": {"api_key_fingerprint": "sha256:1"}}
