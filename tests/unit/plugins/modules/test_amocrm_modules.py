# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The amoCRM modules' main(): option handling, check mode, failures, secrecy (HTTP mocked)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
from urllib.error import HTTPError

import pytest

from ansible_collections.ecss.callapi.tests.unit.compat.module_args import patch_module_args
from ansible_collections.ecss.callapi.plugins.module_utils import amocrm
from ansible_collections.ecss.callapi.plugins.modules import (
    amocrm_account_info, amocrm_call, amocrm_call_info, amocrm_contact)

TOKEN = 'module-token-9b8a'
CONTACT = {'id': 3, 'name': 'Client', 'custom_fields_values': [
    {'field_code': 'PHONE', 'values': [{'value': '+7 913 000-00-01'}]}]}


class FakeHTTP:
    """Routes (method, path) to canned answers and records what was sent."""

    def __init__(self, routes):
        self.routes = routes
        self.sent = []

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        path = url.split('://', 1)[1].split('/', 1)[1].split('?', 1)[0]
        self.sent.append((method, '/' + path, data))
        status, body = self.routes[(method, '/' + path)]
        raw = b'' if body is None else json.dumps(body).encode('utf-8')
        if status >= 400:
            raise HTTPError(url, status, 'error', {}, io.BytesIO(raw))
        return _Response(status, raw)


class _Response:
    headers = {}

    def __init__(self, status, raw):
        self.status, self.raw = status, raw

    def getcode(self):
        return self.status

    def read(self):
        return self.raw


def run(module, args, http, monkeypatch, capsys, check_mode=False):
    monkeypatch.setattr(amocrm, 'open_url', http)
    args = dict(args, base_url='https://acme.amocrm.ru', token=TOKEN, requests_per_second=0)
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), out


def test_account_info_returns_the_account_and_hides_the_token(monkeypatch, capsys):
    http = FakeHTTP({('GET', '/api/v4/account'): (200, {'id': 5, 'name': 'Acme', 'subdomain': 'acme',
                                                        'current_user_id': 77})})
    result, raw = run(amocrm_account_info, {}, http, monkeypatch, capsys)
    assert result['account'] == {'id': 5, 'name': 'Acme', 'subdomain': 'acme', 'current_user_id': 77}
    assert result['changed'] is False and TOKEN not in raw


def test_account_info_fails_for_another_accounts_token(monkeypatch, capsys):
    http = FakeHTTP({('GET', '/api/v4/account'): (200, {'id': 5, 'name': 'Other', 'subdomain': 'other'})})
    result, _raw = run(amocrm_account_info, {'expected_subdomain': 'acme'}, http, monkeypatch, capsys)
    assert result['failed'] is True and "not 'acme'" in result['msg']


def test_call_in_check_mode_reads_but_never_posts(monkeypatch, capsys):
    http = FakeHTTP({('GET', '/api/v4/contacts'): (200, {'_embedded': {'contacts': [CONTACT]}}),
                     ('GET', '/api/v4/contacts/3/notes'): (204, None)})
    result, raw = run(amocrm_call, {'phone': '79130000001', 'uniq': 'u1', 'call_status': 'success'},
                      http, monkeypatch, capsys, check_mode=True)
    assert result['changed'] is True and result['call']['id'] is None and result['call']['call_status'] == 4
    assert [m for m, _p, _d in http.sent] == ['GET', 'GET'] and TOKEN not in raw


def test_call_validation_error_is_the_task_message(monkeypatch, capsys):
    http = FakeHTTP({('GET', '/api/v4/contacts'): (200, {'_embedded': {'contacts': [CONTACT]}}),
                     ('POST', '/api/v4/calls'): (400, {'title': 'Bad Request', 'status': 400,
                                                       'detail': 'Request validation failed',
                                                       'validation-errors': [{'request_id': '0', 'errors': [
                                                           {'code': 'InvalidType', 'path': 'duration',
                                                            'detail': 'This value should be of type int.'}]}]})})
    result, _raw = run(amocrm_call, {'phone': '79130000001'}, http, monkeypatch, capsys)
    assert result['failed'] is True and result['status'] == 400
    assert result['msg'] == ('POST /api/v4/calls failed: HTTP 400 Bad Request: Request validation failed; '
                             'item 0, field duration: This value should be of type int. (InvalidType)')


def test_contact_is_created_with_a_phone_field(monkeypatch, capsys):
    http = FakeHTTP({('GET', '/api/v4/contacts'): (204, None),
                     ('POST', '/api/v4/contacts'): (200, {'_embedded': {'contacts': [{'id': 11}]}})})
    result, _raw = run(amocrm_contact, {'phone': '79130000002', 'name': 'Smoke'}, http, monkeypatch, capsys)
    assert result['changed'] is True and result['contact']['id'] == 11
    posted = json.loads(http.sent[-1][2])
    assert posted == [{'name': 'Smoke', 'custom_fields_values': [
        {'field_code': 'PHONE', 'values': [{'value': '79130000002', 'enum_code': 'WORK'}]}]}]


def test_call_info_lists_calls_of_both_directions(monkeypatch, capsys):
    http = FakeHTTP({('GET', '/api/v4/contacts'): (200, {'_embedded': {'contacts': [CONTACT]}}),
                     ('GET', '/api/v4/contacts/3/notes'): (200, {'_embedded': {'notes': [
                         {'id': 1, 'entity_id': 3, 'note_type': 'call_in', 'params': {'uniq': 'x'}}]}})})
    result, _raw = run(amocrm_call_info, {'phone': '79130000001'}, http, monkeypatch, capsys)
    # The canned notes answer is the same for both filters; only call_in notes are kept.
    assert [c['uniq'] for c in result['calls']] == ['x']
    assert result['contacts'][0]['id'] == 3


def test_missing_token_fails_clearly(monkeypatch, capsys):
    monkeypatch.delenv('ECSS_AMOCRM_TOKEN', raising=False)
    monkeypatch.setattr(amocrm, 'open_url', FakeHTTP({}))
    with patch_module_args({'base_url': 'https://acme.amocrm.ru'}):
        with pytest.raises(SystemExit):
            amocrm_account_info.main()
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] is True and 'token is required' in result['msg']
