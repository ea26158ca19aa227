# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request/response handling of the amoCRM client, with a scripted opener (no network)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils import amocrm

TOKEN = 'unit-token-3f1e'
# amoCRM's documented 400 answer.
VALIDATION_400 = {
    "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
    "detail": "Request validation failed",
    "validation-errors": [{"request_id": "0", "errors": [
        {"code": "NotSupportedChoice", "path": "direction", "detail": "The value you selected is not a valid choice."}]}],
}


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.raw = b'' if body is None else json.dumps(body).encode('utf-8')
        self.headers = headers or {}

    def getcode(self):
        return self.status

    def read(self):
        return self.raw


class ScriptedOpener:
    """Answers requests from a list; records (method, url, headers, data)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        self.sent.append(dict(method=method, url=url, headers=dict(headers or {}), data=data, kwargs=kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if answer.status >= 400:
            raise HTTPError(url, answer.status, 'error', answer.headers, io.BytesIO(answer.raw))
        return answer


class Clock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def client(opener, clock=None, **kwargs):
    clock = clock or Clock()
    kwargs.setdefault('requests_per_second', 0)
    return amocrm.AmoCRMClient('https://acme.amocrm.ru/', TOKEN, opener=opener, clock=clock, sleep=clock.sleep,
                               **kwargs)


def contact(contact_id, *phones):
    return {'id': contact_id, 'name': 'C%d' % contact_id, 'custom_fields_values': [
        {'field_code': 'PHONE', 'values': [{'value': p, 'enum_code': 'WORK'} for p in phones]}]}


# --- error wording -------------------------------------------------------------------------

def test_validation_errors_are_spelled_out_per_item_and_field():
    assert amocrm.format_error(400, VALIDATION_400) == (
        'HTTP 400 Bad Request: Request validation failed; '
        'item 0, field direction: The value you selected is not a valid choice. (NotSupportedChoice)')


def test_error_without_json_body_keeps_status_and_text():
    assert amocrm.format_error(502, '<html>Bad gateway</html>') == 'HTTP 502: <html>Bad gateway</html>'
    assert amocrm.format_error(500, None) == 'HTTP 500'


def test_item_errors_of_a_batch_answer():
    text = amocrm.format_item_errors([{'request_id': '0', 'title': 'Entity not found', 'detail': 'no contact'}])
    assert text == 'item 0: Entity not found: no contact'


def test_401_names_the_token_but_never_shows_it():
    opener = ScriptedOpener(Response(401, {'title': 'Unauthorized', 'status': 401, 'detail': 'Invalid user name or password'}))
    with pytest.raises(amocrm.AmoCRMError) as failure:
        client(opener).get_account()
    message = str(failure.value)
    assert message.startswith('GET /api/v4/account failed: HTTP 401 Unauthorized: Invalid user name or password')
    assert 'long-lived token' in message and TOKEN not in message
    assert failure.value.status == 401


def test_unreachable_host_is_reported_with_the_base_url():
    opener = ScriptedOpener(URLError('Connection refused'))
    with pytest.raises(amocrm.AmoCRMError, match='cannot reach amoCRM at https://acme.amocrm.ru: Connection refused'):
        client(opener).get_account()


# --- request shape, retries, throttling ------------------------------------------------------

def test_requests_carry_the_bearer_token_json_body_and_no_redirects():
    opener = ScriptedOpener(Response(200, {'_embedded': {'calls': [{'id': 7, 'entity_id': 3}]}, 'errors': []}))
    client(opener).add_call({'direction': 'inbound', 'phone': '79130000001'})
    sent = opener.sent[0]
    assert sent['method'] == 'POST' and sent['url'] == 'https://acme.amocrm.ru/api/v4/calls'
    assert sent['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert sent['headers']['Content-Type'] == 'application/json'
    assert json.loads(sent['data']) == [{'direction': 'inbound', 'phone': '79130000001'}]
    assert sent['kwargs']['follow_redirects'] == 'none'


def test_429_is_retried_after_retry_after_then_succeeds():
    clock = Clock()
    opener = ScriptedOpener(Response(429, headers={'Retry-After': '2'}), Response(429),
                            Response(200, {'id': 1, 'name': 'Acme', 'subdomain': 'acme', 'current_user_id': 7}))
    api = client(opener, clock)
    assert api.get_account() == {'id': 1, 'name': 'Acme', 'subdomain': 'acme', 'current_user_id': 7}
    assert clock.slept == [2.0, 1.0]  # Retry-After, then exponential backoff (0.5 * 2**1)
    assert api.retried == 2 and len(opener.sent) == 3


def test_429_gives_up_after_the_configured_retries():
    opener = ScriptedOpener(*[Response(429) for _attempt in range(3)])
    with pytest.raises(amocrm.AmoCRMError, match=r'HTTP 429.*rate limit still hit after 2 retries') as failure:
        client(opener, retries=2).get_account()
    assert failure.value.status == 429 and len(opener.sent) == 3


def test_400_is_not_retried():
    opener = ScriptedOpener(Response(400, VALIDATION_400))
    with pytest.raises(amocrm.AmoCRMError, match='field direction'):
        client(opener).add_call({'direction': 'sideways'})
    assert len(opener.sent) == 1


def test_requests_are_spaced_to_the_configured_rate():
    clock = Clock()
    opener = ScriptedOpener(*[Response(200, {'id': 1}) for _attempt in range(3)])
    api = client(opener, clock, requests_per_second=4)
    for _request in range(3):
        api.get_account()
    assert clock.slept == [0.25, 0.25]


# --- contacts, notes, calls ------------------------------------------------------------------

def test_phones_match_by_digits_only():
    assert amocrm.normalize_phone('+7 (913) 000-00-01') == '79130000001'
    assert amocrm.contact_matches_phone(contact(1, '+7 (913) 000-00-01'), '79130000001')
    assert not amocrm.contact_matches_phone(contact(1, '79130000001'), '0000001')
    assert not amocrm.contact_matches_phone(contact(1, '79130000001'), '')


def test_contact_search_204_means_none_and_partial_hits_are_dropped():
    opener = ScriptedOpener(Response(204), Response(200, {'_embedded': {'contacts': [
        contact(5, '79130000001000'), contact(6, '+7 913 000 00 01')]}}))
    api = client(opener)
    assert api.find_contacts('79130000001') == []
    assert [c['id'] for c in api.find_contacts('79130000001')] == [6]
    assert 'query=79130000001' in opener.sent[0]['url']


def test_call_notes_follow_pages_and_keep_only_the_direction():
    full_page = [{'id': i, 'note_type': 'call_in', 'params': {'uniq': 'u%d' % i}} for i in range(amocrm.NOTES_PAGE_LIMIT)]
    opener = ScriptedOpener(
        Response(200, {'_links': {'next': {'href': '?page=2'}}, '_embedded': {'notes': full_page}}),
        Response(200, {'_links': {}, '_embedded': {'notes': [{'id': 999, 'note_type': 'call_in', 'params': {'uniq': 'last'}},
                                                             {'id': 1000, 'note_type': 'common', 'params': {}}]}}))
    notes = client(opener).list_call_notes(42, 'inbound')
    assert len(notes) == amocrm.NOTES_PAGE_LIMIT + 1 and notes[-1]['params']['uniq'] == 'last'
    assert '/api/v4/contacts/42/notes?' in opener.sent[0]['url']
    assert 'filter%5Bnote_type%5D=call_in' in opener.sent[0]['url'] and 'page=2' in opener.sent[1]['url']


def test_a_call_rejected_in_errors_fails():
    opener = ScriptedOpener(Response(200, {'_embedded': {'calls': []}, 'errors': [
        {'request_id': '0', 'title': 'Entity not found', 'detail': 'No contact with phone 55555'}]}))
    with pytest.raises(amocrm.AmoCRMError, match='rejected the call: item 0: Entity not found: No contact with phone 55555'):
        client(opener).add_call({'phone': '55555'})


def test_build_call_maps_status_names_and_drops_unset_fields():
    call = amocrm.build_call(dict(direction='outbound', phone=79130000001, duration=None, source=None,
                                  uniq='u1', link='', call_status='busy', call_result=None))
    assert call == {'direction': 'outbound', 'phone': '79130000001', 'duration': 0, 'source': 'ecss10',
                    'uniq': 'u1', 'call_status': 7}
    assert amocrm.build_call(dict(direction='inbound', phone='1', call_status='4'))['call_status'] == 4


def test_base_url_from_subdomain_or_explicit_url():
    assert amocrm.base_url_from_params({'subdomain': 'acme'}) == 'https://acme.amocrm.ru'
    assert amocrm.base_url_from_params({'subdomain': 'acme', 'base_url': 'http://127.0.0.1:9/'}) == 'http://127.0.0.1:9'
    for bad in ({'subdomain': 'acme.evil.com/x'}, {'base_url': 'ftp://x'}, {}):
        with pytest.raises(amocrm.AmoCRMError):
            amocrm.base_url_from_params(bad)


def test_check_account_rejects_a_token_of_another_account():
    opener = ScriptedOpener(Response(200, {'id': 1, 'name': 'Other', 'subdomain': 'other'}))
    with pytest.raises(amocrm.AmoCRMError, match="not 'acme'"):
        amocrm.check_account(client(opener), 'acme')


# --- module logic with a stub client ---------------------------------------------------------

class StubClient:
    def __init__(self, contacts=(), notes=()):
        self.contacts = list(contacts)
        self.notes = list(notes)
        self.posted = []
        self.created = []

    def find_contacts(self, phone):
        return [c for c in self.contacts if amocrm.contact_matches_phone(c, phone)]

    def create_contact(self, name, phone, enum_code='WORK'):
        self.created.append((name, phone))
        return {'id': 77, 'name': name, 'phones': [phone]}

    def list_call_notes(self, contact_id, direction):
        note_type = amocrm.NOTE_TYPE_BY_DIRECTION[direction]
        return [n for n in self.notes if n['entity_id'] == contact_id and n['note_type'] == note_type]

    def add_call(self, call):
        self.posted.append(call)
        return {'id': 500, 'entity_id': 3, 'entity_type': 'contacts'}


CALL = dict(direction='inbound', phone='79130000001', uniq='smoke-1', duration=1, source='ecss10', call_status='success')


def test_call_with_known_uniq_is_not_posted_again():
    stub = StubClient([contact(3, '+79130000001')],
                      [{'id': 9, 'entity_id': 3, 'note_type': 'call_in', 'params': {'uniq': 'smoke-1'}}])
    result = amocrm.ensure_call(stub, CALL, check_mode=False)
    assert result['changed'] is False and result['call']['note_id'] == 9 and stub.posted == []


def test_same_uniq_in_the_other_direction_is_a_different_call():
    stub = StubClient([contact(3, '79130000001')],
                      [{'id': 9, 'entity_id': 3, 'note_type': 'call_out', 'params': {'uniq': 'smoke-1'}}])
    assert amocrm.ensure_call(stub, CALL, check_mode=False)['changed'] is True
    assert len(stub.posted) == 1


def test_new_call_is_posted_but_not_in_check_mode():
    stub = StubClient([contact(3, '79130000001')])
    checked = amocrm.ensure_call(stub, CALL, check_mode=True)
    assert checked['changed'] is True and checked['call']['id'] is None and stub.posted == []
    done = amocrm.ensure_call(stub, CALL, check_mode=False)
    assert done['call']['id'] == 500 and stub.posted[0]['call_status'] == 4 and stub.posted[0]['uniq'] == 'smoke-1'


def test_call_without_contact_fails_before_posting():
    stub = StubClient()
    with pytest.raises(amocrm.AmoCRMError, match='none has phone 79130000001'):
        amocrm.ensure_call(stub, CALL, check_mode=False)
    assert stub.posted == []


def test_contact_is_created_only_when_missing_and_not_in_check_mode():
    stub = StubClient([contact(3, '+7 913 000 00 01'), contact(2, '79130000001')])
    found = amocrm.ensure_contact(stub, '79130000001', 'X', check_mode=False)
    assert found['changed'] is False and found['contact']['id'] == 2 and found['duplicates'] == [3]
    empty = StubClient()
    assert amocrm.ensure_contact(empty, '79130000002', 'X', check_mode=True)['contact']['id'] is None
    assert empty.created == []
    assert amocrm.ensure_contact(empty, '79130000002', 'X', check_mode=False)['contact']['id'] == 77
    assert empty.created == [('X', '79130000002')]


def test_call_info_filters_by_uniq():
    stub = StubClient([contact(3, '79130000001')], [
        {'id': 9, 'entity_id': 3, 'note_type': 'call_in', 'params': {'uniq': 'a'}},
        {'id': 10, 'entity_id': 3, 'note_type': 'call_out', 'params': {'uniq': 'b'}}])
    assert [c['note_id'] for c in amocrm.call_info(stub, '79130000001')['calls']] == [9, 10]
    assert [c['note_id'] for c in amocrm.call_info(stub, '79130000001', uniq='b')['calls']] == [10]
