# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""amoCRM API v4 client shared by the ``ecss.callapi.amocrm_*`` modules.

Only the standard library and ``ansible.module_utils.urls`` are used, so the modules
need no extra Python package on the controller.  Everything that decides something
(error wording, phone matching, idempotency of calls) lives here and is unit tested;
the modules only map options to these functions.

Assumptions about the real amoCRM (documented in docs/call_history.md):
- ``GET /api/v4/contacts?query=<phone>`` is a full-text search: it may return contacts
  whose phone merely contains the digits, so results are filtered again here.
- A call posted with ``POST /api/v4/calls`` shows up as a note of type ``call_in`` /
  ``call_out`` on the contact, whose ``params.uniq`` holds the call's ``uniq``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import time

from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.urls import open_url
from ansible.module_utils.basic import env_fallback


# amoCRM's numeric call statuses (developer docs, "calls_add"); names are ours.
CALL_STATUSES = {
    'voicemail': 1,
    'call_later': 2,
    'unavailable': 3,
    'success': 4,
    'wrong_number': 5,
    'no_answer': 6,
    'busy': 7,
}
NOTE_TYPE_BY_DIRECTION = {'inbound': 'call_in', 'outbound': 'call_out'}
# Statuses worth waiting for: amoCRM throttles per account (about 7 requests/s) with 429,
# and its front answers 502-504 during short outages.
RETRYABLE_STATUSES = (429, 502, 503, 504)
NOTES_PAGE_LIMIT = 250
NOTES_MAX_PAGES = 40


def amocrm_argument_spec():
    """Connection options shared by every amoCRM module (doc fragment ecss.callapi.amocrm)."""
    return dict(
        subdomain=dict(type='str', fallback=(env_fallback, ['ECSS_AMOCRM_SUBDOMAIN'])),
        base_url=dict(type='str', fallback=(env_fallback, ['ECSS_AMOCRM_BASE_URL'])),
        token=dict(type='str', no_log=True, fallback=(env_fallback, ['ECSS_AMOCRM_TOKEN'])),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=5),
        requests_per_second=dict(type='float', default=5.0),
    )


class AmoCRMError(Exception):
    """A failed amoCRM request, with a message fit for a task failure (never the token)."""

    def __init__(self, message, status=None, body=None):
        super(AmoCRMError, self).__init__(message)
        self.status = status
        self.body = body


def base_url_from_params(params):
    """``base_url`` wins; otherwise the account's standard address from ``subdomain``."""
    base_url = params.get('base_url')
    subdomain = params.get('subdomain')
    if base_url:
        base_url = base_url.rstrip('/')
        if not re.match(r'^https?://[^/\s]+(/[^\s]*)?$', base_url):
            raise AmoCRMError('base_url must be an http(s) URL such as https://example.amocrm.ru, got %r' % base_url)
        return base_url
    if subdomain:
        if not re.match(r'^[A-Za-z0-9][A-Za-z0-9-]*$', subdomain):
            raise AmoCRMError('subdomain must be the amoCRM account name only (letters, digits, dashes), got %r' % subdomain)
        return 'https://%s.amocrm.ru' % subdomain
    raise AmoCRMError('one of subdomain or base_url is required (or ECSS_AMOCRM_SUBDOMAIN / ECSS_AMOCRM_BASE_URL)')


def normalize_phone(phone):
    """Digits only: amoCRM stores phones as typed (``+7 (913) 123-45-67``), callers send digits."""
    return re.sub(r'\D', '', str(phone or ''))


def contact_phones(contact):
    """All PHONE values of a contact as amoCRM returns it."""
    phones = []
    for field in contact.get('custom_fields_values') or []:
        if field.get('field_code') == 'PHONE':
            for value in field.get('values') or []:
                if value.get('value') is not None:
                    phones.append(str(value['value']))
    return phones


def contact_matches_phone(contact, phone):
    wanted = normalize_phone(phone)
    return bool(wanted) and any(normalize_phone(p) == wanted for p in contact_phones(contact))


def summarize_contact(contact):
    return dict(id=contact.get('id'), name=contact.get('name'), phones=contact_phones(contact))


def format_error(status, body):
    """Turn amoCRM's problem+json (including ``validation-errors``) into one readable line."""
    if not isinstance(body, dict):
        text = (body or '').strip() if isinstance(body, str) else ''
        return 'HTTP %s%s' % (status, (': ' + text[:300]) if text else '')
    parts = []
    title = body.get('title')
    detail = body.get('detail')
    head = 'HTTP %s' % (body.get('status') or status)
    if title:
        head += ' %s' % title
    if detail and detail != title:
        head += ': %s' % detail
    parts.append(head)
    for request_errors in body.get('validation-errors') or []:
        request_id = request_errors.get('request_id')
        for error in request_errors.get('errors') or []:
            parts.append('item %s, field %s: %s (%s)' % (
                request_id, error.get('path') or '?', error.get('detail') or '?', error.get('code') or '?'))
    return '; '.join(parts)


def format_item_errors(errors):
    """The per-item ``errors`` list of a 200 batch answer (e.g. a call without a contact)."""
    lines = []
    for error in errors or []:
        if not isinstance(error, dict):
            lines.append(str(error))
            continue
        lines.append('item %s: %s%s' % (
            error.get('request_id', '?'),
            error.get('title') or error.get('code') or 'error',
            (': %s' % error['detail']) if error.get('detail') else ''))
    return '; '.join(lines)


class AmoCRMClient:
    """Bearer-token client for ``/api/v4`` with throttling and bounded retries on 429/5xx.

    ``opener`` and ``clock``/``sleep`` are injectable for unit tests.
    """

    def __init__(self, base_url, token, validate_certs=True, timeout=30, retries=5,
                 requests_per_second=5.0, opener=None, clock=None, sleep=None, max_backoff=30.0):
        if not token:
            raise AmoCRMError('token is required: an amoCRM long-lived token (or ECSS_AMOCRM_TOKEN)')
        self.base_url = base_url.rstrip('/')
        self._token = token
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.retries = max(0, retries)
        self.min_interval = 1.0 / requests_per_second if requests_per_second and requests_per_second > 0 else 0.0
        self.max_backoff = max_backoff
        self._open = opener or open_url
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._last_request = None
        self.request_count = 0
        self.retried = 0

    def _throttle(self):
        if self._last_request is not None and self.min_interval:
            wait = self.min_interval - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _backoff(self, attempt, headers):
        retry_after = None
        if headers is not None:
            retry_after = headers.get('Retry-After')
        try:
            delay = float(retry_after) if retry_after is not None else 2.0 ** attempt * 0.5
        except ValueError:
            delay = 2.0 ** attempt * 0.5
        return min(max(delay, self.min_interval), self.max_backoff)

    def request(self, method, path, query=None, body=None):
        """Return ``(status, parsed JSON or None)``; raise AmoCRMError on failure."""
        url = self.base_url + path
        if query:
            url += '?' + urlencode(query)
        headers = {'Authorization': 'Bearer ' + self._token, 'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        attempt = 0
        while True:
            self._throttle()
            self.request_count += 1
            status, raw, response_headers = self._send(method, url, data, headers)
            if status in RETRYABLE_STATUSES and attempt < self.retries:
                self._sleep(self._backoff(attempt, response_headers))
                attempt += 1
                self.retried += 1
                continue
            parsed = _parse_json(raw)
            if status >= 400:
                message = format_error(status, parsed if parsed is not None else raw)
                if status == 401:
                    message += ' (check the long-lived token and that it belongs to this account)'
                elif status == 429:
                    message += ' (rate limit still hit after %d retries)' % self.retries
                raise AmoCRMError('%s %s failed: %s' % (method, path, message), status=status, body=parsed)
            return status, parsed

    def _send(self, method, url, data, headers):
        try:
            # No redirects: a redirect would carry the bearer token to whatever host it names.
            response = self._open(url, data=data, headers=headers, method=method,
                                  validate_certs=self.validate_certs, timeout=self.timeout,
                                  follow_redirects='none')
            return response.getcode(), response.read(), response.headers
        except HTTPError as e:
            try:
                raw = e.read()
            except Exception:
                raw = b''
            return e.code, raw, e.headers
        except URLError as e:
            raise AmoCRMError('cannot reach amoCRM at %s: %s' % (self.base_url, e.reason))
        except Exception as e:  # socket timeouts, TLS errors raised outside URLError
            raise AmoCRMError('cannot reach amoCRM at %s: %s' % (self.base_url, e))

    # --- API calls -------------------------------------------------------------------

    def get_account(self):
        _status, data = self.request('GET', '/api/v4/account')
        if not isinstance(data, dict) or 'id' not in data:
            raise AmoCRMError('GET /api/v4/account returned no account data')
        return dict(id=data.get('id'), name=data.get('name'), subdomain=data.get('subdomain'))

    def find_contacts(self, phone):
        """Contacts with exactly this phone (digits compared); ``[]`` on 204 No Content."""
        digits = normalize_phone(phone)
        status, data = self.request('GET', '/api/v4/contacts', query={'query': digits, 'limit': 250})
        if status == 204 or not data:
            return []
        contacts = (data.get('_embedded') or {}).get('contacts') or []
        return [c for c in contacts if contact_matches_phone(c, digits)]

    def create_contact(self, name, phone, enum_code='WORK'):
        body = [{
            'name': name,
            'custom_fields_values': [
                {'field_code': 'PHONE', 'values': [{'value': str(phone), 'enum_code': enum_code}]},
            ],
        }]
        _status, data = self.request('POST', '/api/v4/contacts', body=body)
        created = ((data or {}).get('_embedded') or {}).get('contacts') or []
        if not created:
            raise AmoCRMError('POST /api/v4/contacts returned no contact')
        return dict(id=created[0].get('id'), name=name, phones=[str(phone)])

    def list_call_notes(self, contact_id, direction):
        """Call notes of one direction on a contact, all pages (bounded)."""
        note_type = NOTE_TYPE_BY_DIRECTION[direction]
        notes = []
        for page in range(1, NOTES_MAX_PAGES + 1):
            status, data = self.request(
                'GET', '/api/v4/contacts/%d/notes' % int(contact_id),
                query={'filter[note_type]': note_type, 'limit': NOTES_PAGE_LIMIT, 'page': page})
            if status == 204 or not data:
                break
            batch = (data.get('_embedded') or {}).get('notes') or []
            notes.extend(n for n in batch if n.get('note_type') == note_type)
            if not ((data.get('_links') or {}).get('next')) or len(batch) < NOTES_PAGE_LIMIT:
                break
        return notes

    def add_call(self, call):
        _status, data = self.request('POST', '/api/v4/calls', body=[call])
        data = data or {}
        errors = data.get('errors') or []
        if errors:
            raise AmoCRMError('POST /api/v4/calls rejected the call: %s' % format_item_errors(errors), body=data)
        calls = (data.get('_embedded') or {}).get('calls') or []
        if not calls:
            raise AmoCRMError('POST /api/v4/calls returned no call', body=data)
        return calls[0]


def _parse_json(raw):
    if not raw:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode('utf-8', 'replace')
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def client_from_params(params):
    return AmoCRMClient(
        base_url_from_params(params), params.get('token'),
        validate_certs=params.get('validate_certs', True), timeout=params.get('timeout', 30),
        retries=params.get('retries', 5), requests_per_second=params.get('requests_per_second', 5.0))


# --- module logic (kept here so it is unit tested without AnsibleModule) ----------------

def find_single_contact(client, phone):
    contacts = client.find_contacts(phone)
    if len(contacts) > 1:
        # amoCRM files the call under one of them anyway; say which ones so duplicates get merged.
        contacts = sorted(contacts, key=lambda c: c.get('id') or 0)
    return contacts[0] if contacts else None, contacts


def ensure_contact(client, phone, name, check_mode):
    """Return a result dict for ``amocrm_contact``: present when a contact has ``phone``."""
    if len(normalize_phone(phone)) == 0:
        raise AmoCRMError('phone %r has no digits' % phone)
    found, all_found = find_single_contact(client, phone)
    if found:
        return dict(changed=False, contact=summarize_contact(found),
                    duplicates=[c.get('id') for c in all_found[1:]],
                    diff=dict(before=dict(phone=str(phone), present=True), after=dict(phone=str(phone), present=True)))
    result = dict(changed=True, duplicates=[],
                  diff=dict(before=dict(phone=str(phone), present=False),
                            after=dict(phone=str(phone), present=True, name=name)))
    if check_mode:
        result['contact'] = dict(id=None, name=name, phones=[str(phone)])
    else:
        result['contact'] = client.create_contact(name, phone)
    return result


def build_call(params):
    """The ``/api/v4/calls`` item from module options (only the fields that were given)."""
    status = params.get('call_status')
    if status is not None and not isinstance(status, int):
        status = str(status)
        status = int(status) if status.isdigit() else CALL_STATUSES[status]
    call = dict(direction=params['direction'], phone=str(params['phone']),
                duration=int(params.get('duration') or 0), source=params.get('source') or 'ecss10')
    for key in ('uniq', 'link', 'call_result', 'responsible_user_id', 'created_by', 'created_at'):
        if params.get(key) not in (None, ''):
            call[key] = params[key]
    if status is not None:
        call['call_status'] = status
    return call


def note_summary(note):
    params = note.get('params') or {}
    return dict(note_id=note.get('id'), contact_id=note.get('entity_id'),
                note_type=note.get('note_type'), created_at=note.get('created_at'),
                uniq=params.get('uniq'), phone=params.get('phone'), duration=params.get('duration'),
                source=params.get('source'), link=params.get('link'), call_status=params.get('call_status'))


def find_call(client, contact_id, direction, uniq):
    for note in client.list_call_notes(contact_id, direction):
        if (note.get('params') or {}).get('uniq') == uniq:
            return note
    return None


def ensure_call(client, params, check_mode):
    """Return a result dict for ``amocrm_call``.

    With ``uniq`` the call is looked up among the contact's call notes first and posted only
    when missing; without it every run posts a new call (amoCRM has nothing to compare).
    """
    call = build_call(params)
    contact, _all = find_single_contact(client, call['phone'])
    if contact is None:
        raise AmoCRMError(
            'amoCRM files a call only under an existing contact, and none has phone %s; '
            'create the contact first (ecss.callapi.amocrm_contact) or use a known number' % call['phone'])
    uniq = call.get('uniq')
    if uniq:
        existing = find_call(client, contact['id'], call['direction'], uniq)
        if existing is not None:
            return dict(changed=False, call=note_summary(existing), contact=summarize_contact(contact),
                        diff=dict(before=dict(uniq=uniq, present=True), after=dict(uniq=uniq, present=True)))
    result = dict(changed=True, contact=summarize_contact(contact),
                  diff=dict(before=dict(uniq=uniq, present=False), after=dict(call, present=True)))
    if check_mode:
        result['call'] = dict(call, id=None)
        return result
    created = client.add_call(call)
    result['call'] = dict(call, id=created.get('id'), contact_id=created.get('entity_id'),
                          entity_type=created.get('entity_type'))
    return result


def call_info(client, phone, direction=None, uniq=None):
    """Return ``calls`` (note summaries) recorded under the contacts with ``phone``."""
    _found, contacts = find_single_contact(client, phone)
    calls = []
    directions = [direction] if direction else sorted(NOTE_TYPE_BY_DIRECTION)
    for contact in contacts:
        for one_direction in directions:
            for note in client.list_call_notes(contact['id'], one_direction):
                summary = note_summary(note)
                if uniq and summary['uniq'] != uniq:
                    continue
                calls.append(summary)
    return dict(changed=False, calls=calls, contacts=[summarize_contact(c) for c in contacts])


def check_account(client, expected_subdomain=None):
    account = client.get_account()
    if expected_subdomain and (account.get('subdomain') or '').lower() != expected_subdomain.lower():
        raise AmoCRMError('the token belongs to amoCRM account %r (subdomain %r), not %r' % (
            account.get('name'), account.get('subdomain'), expected_subdomain))
    return dict(account=account)
