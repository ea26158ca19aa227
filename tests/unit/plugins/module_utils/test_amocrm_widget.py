# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The widget logic of the amoCRM client: template checks, users, comparison, record, rights."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils import amocrm
from ansible_collections.ecss.callapi.tests.unit.plugins.amocrm_widget_api import (
    ADMIN, CODE, PLAIN, TEMPLATE, WidgetAPI)

KEY = 'CR1LxK9uQw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qW9eR1tY3uI5oFZ1M'
FIELDS = amocrm.template_fields({'settings_template': TEMPLATE})
WANTED = {'clientid': 'amocrm', 'apikey': KEY, 'port': 8088, 'phones': {'Ivan Petrov': '240473'}}


def client(api, base_url='https://acme.amocrm.ru'):
    return amocrm.AmoCRMClient(base_url, 'unit-token', opener=api, requests_per_second=0)


def params(settings=None, **extra):
    return dict(dict(code=CODE, state='present', settings=WANTED if settings is None else settings,
                     secret_keys=[], state_file=None), **extra)


# --- transport ------------------------------------------------------------------------------------

def test_plain_http_is_refused_unless_certificates_are_not_checked():
    with pytest.raises(amocrm.AmoCRMError) as raised:
        amocrm.AmoCRMClient('http://127.0.0.1:8099', 'unit-token')
    assert 'plain http://' in str(raised.value) and 'validate_certs: false' in str(raised.value)
    assert 'unit-token' not in str(raised.value)
    assert amocrm.AmoCRMClient('http://127.0.0.1:8099', 'unit-token', validate_certs=False).base_url


def test_writes_are_counted_only_when_they_went_through():
    api = WidgetAPI(token_user=PLAIN)
    plain = client(api)
    with pytest.raises(amocrm.AmoCRMError) as raised:
        plain.install_widget(CODE, {})
    assert plain.writes == [] and amocrm.failure(raised.value, plain)['changed'] is False
    admin = client(WidgetAPI())
    admin.install_widget(CODE, {'clientid': 'x'})
    failed = amocrm.failure(amocrm.AmoCRMError('later step failed'), admin)
    assert failed == {'msg': 'later step failed', 'status': None, 'changed': True,
                      'requests': ['POST /api/v4/widgets/' + CODE]}


def test_users_are_read_on_every_page():
    api = WidgetAPI(page_size=1)
    assert [u['id'] for u in client(api).list_users()] == [ADMIN, PLAIN, 20, 21]
    assert [m for m, p, _b in api.sent if p == '/api/v4/users'] == ['GET'] * 4


def test_widget_codes_cannot_reach_another_path():
    for code in ('../users', 'a b', '', 'x/y', '%2e%2e'):
        with pytest.raises(amocrm.AmoCRMError):
            amocrm.widget_path(code)
    assert amocrm.widget_path('amo_asterisk-2.x') == '/api/v4/widgets/amo_asterisk-2.x'


# --- template -------------------------------------------------------------------------------------

def test_template_as_documented_array_or_keyed_object():
    assert list(FIELDS) == ['clientid', 'apikey', 'port', 'phones']
    assert FIELDS['apikey'] == {'key': 'apikey', 'name': 'API key', 'type': 'pass', 'is_required': True}
    keyed = amocrm.template_fields({'settings_template': {'login': {'name': 'Login', 'type': 'text'}}})
    assert keyed == {'login': {'key': 'login', 'name': 'Login', 'type': 'text', 'is_required': False}}


def test_every_problem_is_listed_at_once():
    problems = amocrm.widget_settings_problems(FIELDS, {'clientid': ['a'], 'api_key': 'x', 'phones': ['240473']})
    assert problems == [
        'unknown key(s) api_key (the template has: clientid, apikey, port, phones)',
        'required field(s) missing: apikey ("API key", pass)',
        'field clientid (text) must be a string, got list',
        'field phones (users) must be a mapping {amoCRM user: phone}, got list',
    ]
    assert amocrm.widget_settings_problems(FIELDS, WANTED) == []
    assert amocrm.widget_settings_problems(FIELDS, dict(WANTED, clientid='')) == [
        'required field(s) missing: clientid ("Client ID", text)']
    assert amocrm.widget_settings_problems(FIELDS, dict(WANTED, port=True)) == [
        'field port (text) must be a string, got bool']


def test_users_lp_needs_login_and_password():
    fields = amocrm.template_fields({'settings_template': [{'key': 'sip', 'type': 'users_lp'}]})
    assert amocrm.widget_settings_problems(fields, {'sip': {'Ivan': {'login': '1'}}}) == [
        'field sip (users_lp): Ivan needs a login and a password']
    assert amocrm.secret_keys_of(fields) == {'sip'}


# --- users ----------------------------------------------------------------------------------------

USERS = WidgetAPI().users + [{'id': 30, 'name': 'Ivan  petrov', 'email': 'ivan.p@example.test'}]


def test_users_by_name_email_or_id():
    assert amocrm.resolve_users(USERS[:4], ['ivan petrov', 'MARIA@example.test', '21']) == {
        'ivan petrov': 20, 'MARIA@example.test': 21, '21': 21}


def test_unknown_and_ambiguous_users_fail_together_naming_the_candidates():
    with pytest.raises(amocrm.AmoCRMError) as raised:
        amocrm.resolve_users(USERS, ['Ivan Petrov', 'Maria Sidorva', 'Nobody At All', '999'])
    assert str(raised.value) == (
        "amoCRM users: 'Ivan Petrov' is ambiguous: Ivan Petrov <ivan@example.test> (id 20), "
        "Ivan  petrov <ivan.p@example.test> (id 30) - name the user by e-mail; "
        "no amoCRM user has the name 'Maria Sidorva'; candidates: Maria Sidorova <maria@example.test> (id 21); "
        "no amoCRM user has the name 'Nobody At All'; none of the 5 users has a similar name; "
        "no amoCRM user has id 999")


def test_settings_to_send_are_strings_with_user_ids():
    body = amocrm.widget_settings_to_send(FIELDS, WANTED, {'Ivan Petrov': 20})
    assert body == {'clientid': 'amocrm', 'apikey': KEY, 'port': '8088', 'phones': {'20': '240473'}}
    with pytest.raises(amocrm.AmoCRMError) as raised:
        amocrm.widget_settings_to_send(FIELDS, {'phones': {'Ivan Petrov': '1', '20': '2'}}, {'Ivan Petrov': 20})
    assert 'names amoCRM user 20 twice' in str(raised.value)


# --- comparison -----------------------------------------------------------------------------------

SECRET = {'apikey'}
SENT = {'clientid': 'amocrm', 'apikey': KEY, 'port': '8088', 'phones': {'20': '240473'}}
RECORD = dict((k, amocrm.fingerprint(v)) for k, v in SENT.items())


def test_fingerprint_of_a_key_is_the_cocon_modules_one_and_order_free_for_mappings():
    assert amocrm.fingerprint(KEY) == 'sha256:' + hashlib.sha256(KEY.encode()).hexdigest()[:16]
    assert amocrm.fingerprint({'a': '1', 'b': '2'}) == amocrm.fingerprint({'b': '2', 'a': '1'})
    assert amocrm.fingerprint(None) is None


def test_what_amocrm_shows_decides_and_the_record_fills_in_what_it_hides():
    observed = amocrm.observed_settings(FIELDS, {'clientid': 'amocrm', 'port': 8088, 'phones': {20: '240473'}}, SECRET)
    assert observed == {'clientid': 'amocrm', 'port': '8088', 'phones': {'20': '240473'}}
    same = amocrm.compare_widget_settings(SENT, observed, RECORD, SECRET)
    assert same == {'match': True, 'installed': True, 'differences': [],
                    'verified': {'apikey': 'record', 'clientid': 'amocrm', 'phones': 'amocrm', 'port': 'amocrm'}}
    # A new key: only the record can tell, and it tells that it differs.
    rotated = amocrm.compare_widget_settings(dict(SENT, apikey='NEW' + KEY[3:]), observed, RECORD, SECRET)
    assert rotated['differences'] == ['apikey'] and not rotated['match']
    # Changed in amoCRM by hand: amoCRM's value wins over the record.
    by_hand = amocrm.compare_widget_settings(SENT, dict(observed, port='9999'), RECORD, SECRET)
    assert by_hand['differences'] == ['port']


def test_without_a_record_a_hidden_value_counts_as_different():
    observed = {'clientid': 'amocrm', 'port': '8088', 'phones': {'20': '240473'}}
    assert amocrm.compare_widget_settings(SENT, observed, None, SECRET)['differences'] == ['apikey']
    assert amocrm.compare_widget_settings(SENT, None, None, SECRET)['differences'] == sorted(SENT)
    # amoCRM returned no settings at all: the record alone decides.
    assert amocrm.compare_widget_settings(SENT, None, RECORD, SECRET)['match'] is True


def test_a_masked_secret_falls_back_to_the_record_and_a_shown_one_is_compared():
    masked = {'apikey': amocrm.fingerprint('********')}
    assert amocrm.compare_widget_settings({'apikey': KEY}, masked, RECORD, SECRET)['verified'] == {'apikey': 'record'}
    shown = {'apikey': amocrm.fingerprint(KEY)}
    assert amocrm.compare_widget_settings({'apikey': KEY}, shown, None, SECRET)['verified'] == {'apikey': 'amocrm'}


def test_a_widget_that_is_not_installed_differs_in_everything():
    result = amocrm.compare_widget_settings(SENT, None, RECORD, SECRET, installed=False)
    assert result == {'match': False, 'installed': False, 'differences': sorted(SENT), 'verified': {}}


def test_settings_view_never_holds_a_secret():
    view = amocrm.settings_view(SENT, SECRET)
    assert KEY not in json.dumps(view) and view['apikey'].startswith('sha256:') and view['clientid'] == 'amocrm'


# --- collection values -> template keys -----------------------------------------------------------

SETTINGS_FILE = {'domain': 'biysk.local', 'client_id': 'amocrm', 'api_key': KEY, 'integration_type': 'plain',
                 'call_api_host': 'ecss.example.com', 'call_api_port': 8088, 'call_api_url': 'https://ecss.example.com:8088',
                 'users': [{'name': 'Ivan Petrov', 'phone': '240473'}, {'name': None, 'phone': '240474'}]}


def test_collection_values_go_to_the_template_keys_as_strings():
    fields = {'client_id': 'clientid', 'api_key': 'apikey', 'call_api_port': 'port', 'users': 'phones',
              'call_api_host': None, 'domain': ''}
    assert amocrm.widget_settings_from_collection(SETTINGS_FILE, fields) == {
        'clientid': 'amocrm', 'apikey': KEY, 'port': '8088', 'phones': {'Ivan Petrov': '240473'}}


def test_bad_field_maps_fail_clearly():
    with pytest.raises(amocrm.AmoCRMError, match='unknown field.s. apikey; the fields are client_id'):
        amocrm.widget_settings_from_collection(SETTINGS_FILE, {'apikey': 'x'})
    with pytest.raises(amocrm.AmoCRMError, match='two fields map to the template key x'):
        amocrm.widget_settings_from_collection(SETTINGS_FILE, {'client_id': 'x', 'domain': 'x'})
    twice = dict(SETTINGS_FILE, users=[{'name': 'Ivan', 'phone': '1'}, {'name': 'Ivan', 'phone': '2'}])
    with pytest.raises(amocrm.AmoCRMError, match='amoCRM user Ivan is named for two numbers, 1 and 2'):
        amocrm.widget_settings_from_collection(twice, {'users': 'phones'})


# --- record ---------------------------------------------------------------------------------------

def test_record_is_0600_and_belongs_to_one_account_and_code(tmp_path):
    path = str(tmp_path / 'biysk.local.amocrm_widget.json')
    amocrm.write_widget_record(path, 'https://acme.amocrm.ru', CODE, RECORD)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert KEY not in open(path).read()
    assert amocrm.read_widget_record(path, 'https://acme.amocrm.ru', CODE) == RECORD
    assert amocrm.read_widget_record(path, 'https://other.amocrm.ru', CODE) is None
    assert amocrm.read_widget_record(path, 'https://acme.amocrm.ru', 'other') is None
    (tmp_path / 'broken.json').write_text('{not json')
    assert amocrm.read_widget_record(str(tmp_path / 'broken.json'), 'https://acme.amocrm.ru', CODE) is None
    assert amocrm.read_widget_record(str(tmp_path / 'missing.json'), 'https://acme.amocrm.ru', CODE) is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith('.')] == []


# --- rights ---------------------------------------------------------------------------------------

def test_an_administrator_token_passes():
    rights = amocrm.current_user_rights(client(WidgetAPI()))
    assert (rights['id'], rights['name'], rights['is_admin']) == (ADMIN, 'Admin', True)
    assert amocrm.admin_problem(rights, CODE) is None


def test_a_user_token_is_refused_naming_the_right_whether_users_answer_403_or_not():
    for api in (WidgetAPI(token_user=PLAIN), WidgetAPI(token_user=PLAIN, user_endpoint_403=False)):
        problem = amocrm.admin_problem(amocrm.current_user_rights(client(api)), CODE)
        assert 'lacks the right to manage widgets' in problem and '(rights.is_admin)' in problem
        assert api.writes() == []


# --- ensure_widget --------------------------------------------------------------------------------

def test_install_then_nothing_then_one_post_for_a_new_key(tmp_path):
    api = WidgetAPI()
    state_file = str(tmp_path / 'record.json')
    first = amocrm.ensure_widget(client(api), params(state_file=state_file), False)
    assert first['changed'] is True and first['requests'] == ['POST /api/v4/widgets/' + CODE]
    assert api.sent[-1][2] == SENT and first['users'] == {'Ivan Petrov': 20}
    assert first['settings']['apikey'] == amocrm.fingerprint(KEY) and KEY not in json.dumps(first)
    second = amocrm.ensure_widget(client(api), params(state_file=state_file), False)
    assert second['changed'] is False and second['requests'] == [] and len(api.writes()) == 1
    assert second['verified']['apikey'] == 'record'
    rotated = amocrm.ensure_widget(client(api), params(dict(WANTED, apikey='R' * 64), state_file=state_file), False)
    assert rotated['differences'] == ['apikey'] and len(api.writes()) == 2
    assert rotated['diff']['before']['settings']['apikey'] == amocrm.fingerprint(KEY)
    assert rotated['diff']['after']['settings']['apikey'] == amocrm.fingerprint('R' * 64)


def test_without_a_record_the_pass_value_is_sent_every_time():
    api = WidgetAPI(installed=True, settings=SENT)
    result = amocrm.ensure_widget(client(api), params(), False)
    assert result['changed'] is True and result['differences'] == ['apikey']
    assert result['diff']['before']['settings']['apikey'] == amocrm.UNKNOWN_VALUE


def test_check_mode_reads_only():
    api = WidgetAPI()
    result = amocrm.ensure_widget(client(api), params(), True)
    assert result['changed'] is True and result['requests'] == ['POST /api/v4/widgets/' + CODE]
    assert api.writes() == []


def test_bad_settings_fail_before_any_request_but_the_template():
    api = WidgetAPI()
    with pytest.raises(amocrm.AmoCRMError) as raised:
        amocrm.ensure_widget(client(api), params({'clientid': 'amocrm', 'bogus': '1'}), False)
    assert str(raised.value) == (
        'widget %s: the settings do not fit its template: unknown key(s) bogus (the template has: clientid, apikey, '
        'port, phones); required field(s) missing: apikey ("API key", pass). Nothing was sent' % CODE)
    assert [(m, p) for m, p, _b in api.sent] == [('GET', '/api/v4/widgets/' + CODE)]
    assert raised.value.secret_keys == ['apikey']


def test_a_user_token_fails_before_the_post():
    api = WidgetAPI(token_user=PLAIN)
    with pytest.raises(amocrm.AmoCRMError) as raised:
        amocrm.ensure_widget(client(api), params(), False)
    assert raised.value.status == 403 and api.writes() == []


def test_an_unknown_widget_code_says_how_to_find_it():
    with pytest.raises(amocrm.AmoCRMError, match="has no widget with code 'nope'.*amocrm_widget_info name="):
        amocrm.ensure_widget(client(WidgetAPI()), params(code='nope'), False)


def test_absent_switches_off_once_and_drops_the_record(tmp_path):
    api = WidgetAPI(installed=True, settings=SENT)
    state_file = tmp_path / 'record.json'
    state_file.write_text('{}')
    result = amocrm.ensure_widget(client(api), params(state='absent', state_file=str(state_file)), False)
    assert result['changed'] is True and api.writes() == [('DELETE', '/api/v4/widgets/' + CODE)]
    assert not state_file.exists()
    again = amocrm.ensure_widget(client(api), params(state='absent'), False)
    assert again['changed'] is False and len(api.writes()) == 1


def test_a_record_that_cannot_be_written_fails_after_the_post_which_counts_as_a_change(tmp_path):
    api = WidgetAPI()
    widget_client = client(api)
    with pytest.raises(amocrm.AmoCRMError, match='the settings were sent, but the record'):
        amocrm.ensure_widget(widget_client, params(state_file=str(tmp_path / 'missing-dir' / 'r.json')), False)
    assert amocrm.failure(amocrm.AmoCRMError('x'), widget_client)['changed'] is True


# --- info and the reusable comparison -------------------------------------------------------------

def test_info_by_code_fingerprints_secrets_even_when_amocrm_shows_them(tmp_path):
    api = WidgetAPI(installed=True, settings=SENT)
    api.view = lambda: dict(api.widget)  # an account that shows pass values to this token
    info = amocrm.widget_info(client(api), code=CODE, users=['ivan@example.test'])
    assert KEY not in json.dumps(info)
    assert info['widget']['settings']['apikey'] == amocrm.fingerprint(KEY)
    assert info['current_user'] == {'id': ADMIN, 'name': 'Admin', 'is_admin': True}
    assert info['user_ids'] == {'ivan@example.test': 20}


def test_info_by_name_searches_codes():
    assert [w['code'] for w in amocrm.widget_info(client(WidgetAPI()), name='ECSS10')['widgets']] == [CODE]
    assert amocrm.widget_info(client(WidgetAPI()), name='asterisk')['widgets'] == []


def test_settings_match_from_an_info_result(tmp_path):
    api = WidgetAPI()
    state_file = str(tmp_path / 'record.json')
    amocrm.ensure_widget(client(api), params(state_file=state_file), False)
    info = amocrm.widget_info(client(api), code=CODE, state_file=state_file, users=['Ivan Petrov'])
    assert amocrm.widget_settings_match(WANTED, info)['match'] is True
    changed = amocrm.widget_settings_match(dict(WANTED, apikey='other'), info)
    assert changed['differences'] == ['apikey'] and changed['match'] is False
    unresolved = amocrm.widget_settings_match(dict(WANTED, phones={'Maria Sidorova': '1'}), info)
    assert unresolved['unresolved_users'] == ['Maria Sidorova'] and unresolved['differences'] == ['phones']
    assert amocrm.widget_settings_match(WANTED, {'found': False, 'widget': None})['installed'] is False
