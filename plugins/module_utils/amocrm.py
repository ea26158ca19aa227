# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""amoCRM API v4 client shared by the ``ecss.callapi.amocrm_*`` modules.

Only the standard library and ``ansible.module_utils.urls`` are used, so the modules
need no extra Python package on the controller.  Everything that decides something
(error wording, phone matching, idempotency of calls) lives here and is unit tested;
the modules only map options to these functions.

Assumptions about the real amoCRM (documented in docs/call_history.md and docs/amocrm_widget.md):
- ``GET /api/v4/contacts?query=<phone>`` is a full-text search: it may return contacts
  whose phone merely contains the digits, so results are filtered again here.
- A call posted with ``POST /api/v4/calls`` shows up as a note of type ``call_in`` /
  ``call_out`` on the contact, whose ``params.uniq`` holds the call's ``uniq``.
- ``GET /api/v4/widgets/{code}`` may leave out a widget's ``settings`` (amoCRM documents
  them for the widget's own integration only) and never shows ``pass`` values: what was
  sent is remembered as fingerprints in a record file (see ``WidgetRecord``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import difflib
import hashlib
import json
import os
import re
import tempfile
import time

from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

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
# Users and widgets lists: amoCRM's largest page, and a bound far above any real account.
PAGE_LIMIT = 250
MAX_PAGES = 200


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
        # Set by ensure_widget once the template is known: the settings keys that hold secrets.
        self.secret_keys = None


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
        if base_url.lower().startswith('http://') and validate_certs:
            # The bearer token would cross the network in clear text.
            raise AmoCRMError(
                'base_url %s is plain http://: the token would be sent unencrypted. Use https://, or set '
                'validate_certs: false (ecss_amocrm_validate_certs: false) for a local test server' % base_url)
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
        # Every request that changed something in amoCRM ("POST /api/v4/..."), so a module that
        # fails afterwards still reports changed=true for what it did.
        self.writes = []

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
            if method != 'GET':
                self.writes.append('%s %s' % (method, path))
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
        return dict(id=data.get('id'), name=data.get('name'), subdomain=data.get('subdomain'),
                    current_user_id=data.get('current_user_id'))

    def get_user(self, user_id):
        _status, data = self.request('GET', '/api/v4/users/%d' % int(user_id))
        return data or {}

    def list_users(self):
        """Every user of the account, all pages (``GET /api/v4/users`` is for administrators only)."""
        return self._all_pages('/api/v4/users', 'users')

    def list_widgets(self):
        return self._all_pages('/api/v4/widgets', 'widgets')

    def _all_pages(self, path, embedded):
        items = []
        for page in range(1, MAX_PAGES + 1):
            status, data = self.request('GET', path, query={'limit': PAGE_LIMIT, 'page': page})
            if status == 204 or not isinstance(data, dict):
                break
            batch = (data.get('_embedded') or {}).get(embedded) or []
            items.extend(batch)
            if not batch or not (data.get('_links') or {}).get('next'):
                break
        return items

    def get_widget(self, code):
        """The widget with this code, or None when the account knows no such widget."""
        try:
            _status, data = self.request('GET', widget_path(code))
        except AmoCRMError as e:
            if e.status == 404:
                return None
            raise
        return data if isinstance(data, dict) else None

    def install_widget(self, code, settings):
        _status, data = self.request('POST', widget_path(code), body=settings)
        return data if isinstance(data, dict) else {}

    def uninstall_widget(self, code):
        self.request('DELETE', widget_path(code))

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


def failure(error, client=None):
    """``fail_json`` arguments: the message, and ``changed`` for requests that went through before it."""
    writes = list(client.writes) if client is not None else []
    return dict(msg=str(error), status=getattr(error, 'status', None), changed=bool(writes), requests=writes)


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


# --- widgets ----------------------------------------------------------------------------------

WIDGET_CODE_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$')
# Template field types whose values are secrets: shown and recorded only as fingerprints.
SECRET_FIELD_TYPES = ('pass', 'users_lp')
USERS_FIELD_TYPES = ('users', 'users_lp')
ADMIN_RIGHT = 'account administrator (rights.is_admin)'
# What the collection knows about a domain (the widget settings files) -> template keys.
WIDGET_SOURCE_FIELDS = ('client_id', 'api_key', 'call_api_host', 'call_api_port', 'domain', 'users')
UNKNOWN_VALUE = '(not returned by amoCRM, not recorded)'
_MISSING = object()


def check_widget_code(code):
    if not isinstance(code, str) or not WIDGET_CODE_RE.match(code):
        raise AmoCRMError('widget code must be letters, digits, "_", "-" or "." as amoCRM shows it, got %r' % (code,))
    return code


def widget_path(code):
    return '/api/v4/widgets/%s' % quote(check_widget_code(code), safe='')


def fingerprint(value):
    """Enough of a value to tell two apart in a diff or a record, never enough to use it.

    A string is hashed as it is, so an API key's fingerprint is the one the CoCon
    ``integration`` module reports for it; anything else as canonical JSON.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(',', ':'))
    return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]


def template_fields(widget):
    """A widget's ``settings_template`` as an ordered dict: key -> {key, name, type, is_required}."""
    template = (widget or {}).get('settings_template') or []
    if isinstance(template, dict):  # a keyed object instead of the documented array
        template = [dict(field, key=field.get('key', key)) for key, field in template.items() if isinstance(field, dict)]
    fields = {}
    for field in template:
        if isinstance(field, dict) and field.get('key') not in (None, ''):
            key = str(field['key'])
            fields[key] = dict(key=key, name=str(field.get('name') or key), type=str(field.get('type') or 'text'),
                               is_required=bool(field.get('is_required')))
    return fields


def secret_keys_of(fields, secret_keys=()):
    """Keys whose values are secrets: ``pass`` and ``users_lp`` fields, plus the ones named."""
    return set(k for k, f in fields.items() if f['type'] in SECRET_FIELD_TYPES) | set(secret_keys or ())


def _is_blank(value):
    return value is None or value == '' or value == {}


def _is_scalar(value):
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _field_type_problem(field, value):
    kind, label = field['type'], '%s (%s)' % (field['key'], field['type'])
    if kind in ('text', 'pass') and not _is_scalar(value):
        return 'field %s must be a string, got %s' % (label, type(value).__name__)
    if kind in USERS_FIELD_TYPES:
        if not isinstance(value, dict):
            return 'field %s must be a mapping {amoCRM user: %s}, got %s' % (
                label, 'phone' if kind == 'users' else '{login, password}', type(value).__name__)
        for user, item in value.items():
            if kind == 'users' and not _is_scalar(item):
                return 'field %s: the phone of %s must be a string, got %s' % (label, user, type(item).__name__)
            if kind == 'users_lp' and not (isinstance(item, dict) and _is_scalar(item.get('login'))
                                           and _is_scalar(item.get('password'))):
                return 'field %s: %s needs a login and a password' % (label, user)
    return None


def widget_settings_problems(fields, settings):
    """Everything wrong with ``settings`` against a template, as sentences (empty: fits)."""
    problems = []
    unknown = sorted(set(settings) - set(fields))
    if unknown:
        problems.append('unknown key(s) %s (the template has: %s)' % (
            ', '.join(unknown), ', '.join(fields) or 'no fields'))
    missing = [k for k, f in fields.items() if f['is_required'] and _is_blank(settings.get(k))]
    if missing:
        problems.append('required field(s) missing: %s' % ', '.join(
            '%s ("%s", %s)' % (k, fields[k]['name'], fields[k]['type']) for k in missing))
    for key in [k for k in fields if k in settings and settings[k] is not None]:
        problem = _field_type_problem(fields[key], settings[key])
        if problem:
            problems.append(problem)
    return problems


def users_named_in(fields, settings):
    """The amoCRM users (names, e-mails or ids, as given) of the users-type fields."""
    named = []
    for key, value in settings.items():
        if fields.get(key, {}).get('type') in USERS_FIELD_TYPES and isinstance(value, dict):
            named.extend(str(user) for user in value if str(user) not in named)
    return named


def _fold(text):
    return ' '.join(str(text or '').split()).casefold()


def user_label(user):
    email = user.get('email')
    return '%s%s (id %s)' % (user.get('name') or '?', ' <%s>' % email if email else '', user.get('id'))


def resolve_users(users, wanted):
    """``{given: user id}`` for names, e-mails or ids; one error naming every unknown or ambiguous one."""
    by_id = dict((str(u.get('id')), u) for u in users)
    resolved, problems = {}, []
    for given in wanted:
        text = str(given).strip()
        if text.isdigit():
            if text in by_id:
                resolved[str(given)] = int(text)
            else:
                problems.append('no amoCRM user has id %s' % text)
            continue
        attribute = 'email' if '@' in text else 'name'
        matches = [u for u in users if _fold(u.get(attribute)) == _fold(text)]
        if len(matches) == 1:
            resolved[str(given)] = int(matches[0]['id'])
        elif matches:
            problems.append('%r is ambiguous: %s - name the user by e-mail' % (
                text, ', '.join(user_label(u) for u in matches)))
        else:
            labels = dict((_fold(u.get(attribute)), u) for u in users if u.get(attribute))
            close = difflib.get_close_matches(_fold(text), list(labels), n=5, cutoff=0.6)
            hint = ('; candidates: %s' % ', '.join(user_label(labels[c]) for c in close)) if close else (
                '; none of the %d users has a similar %s' % (len(users), attribute))
            problems.append('no amoCRM user has the %s %r%s' % (attribute, text, hint))
    if problems:
        raise AmoCRMError('amoCRM users: %s' % '; '.join(problems))
    return resolved


def _text(value):
    return value if isinstance(value, str) else str(value)


def widget_settings_to_send(fields, settings, user_ids):
    """The POST body: text values as strings, users-type keys as user ids (unresolved names stay)."""
    body = {}
    for key, value in settings.items():
        if value is None:
            continue
        kind = fields.get(key, {}).get('type')
        if kind in ('text', 'pass'):
            body[key] = _text(value)
        elif kind in USERS_FIELD_TYPES:
            mapped = {}
            for user, item in value.items():
                user_id = str(user_ids.get(str(user), user))
                if user_id in mapped:
                    raise AmoCRMError('field %s names amoCRM user %s twice: the widget holds one entry per user'
                                      % (key, user_id))
                mapped[user_id] = _text(item) if kind == 'users' else dict(
                    login=_text(item['login']), password=_text(item['password']))
            body[key] = mapped
        else:
            body[key] = value
    return body


def observed_settings(fields, settings, secret):
    """What amoCRM returned, normalised like ``widget_settings_to_send`` and with secrets fingerprinted.

    None when amoCRM returned no settings at all.
    """
    if not isinstance(settings, dict):
        return None
    view = {}
    for key, value in settings.items():
        if value is None:
            continue
        kind = fields.get(key, {}).get('type')
        if kind in ('text', 'pass') and _is_scalar(value):
            value = _text(value)
        elif kind == 'users' and isinstance(value, dict):
            value = dict((str(u), _text(p)) for u, p in value.items())
        view[key] = fingerprint(value) if key in secret else value
    return view


def settings_view(settings, secret):
    """A copy fit for output: every secret replaced by its fingerprint."""
    return dict((k, fingerprint(v) if k in secret else v) for k, v in settings.items())


def compare_widget_settings(wanted, observed, recorded, secret, installed=True):
    """Which wanted keys differ from the widget in amoCRM.

    ``wanted``: the settings as they would be sent (clear values, user ids). ``observed``:
    ``observed_settings`` of what amoCRM returned (secrets as fingerprints), None when it
    returned none. ``recorded``: ``{key: fingerprint}`` of what was last sent, or None.
    A key is the same when amoCRM shows the wanted value; when amoCRM does not show it (or
    shows a secret as something else, e.g. masked) the record decides; otherwise it differs.
    """
    differences, verified = [], {}
    for key in sorted(wanted):
        want = wanted[key]
        want_fp = fingerprint(want)
        seen = (observed or {}).get(key, _MISSING)
        if seen is not _MISSING:
            if seen == (want_fp if key in secret else want):
                verified[key] = 'amocrm'
                continue
            if key not in secret:
                differences.append(key)
                continue
        if (recorded or {}).get(key) == want_fp:
            verified[key] = 'record'
        else:
            differences.append(key)
    if not installed:
        differences, verified = sorted(wanted), {}
    return dict(match=bool(installed) and not differences, installed=bool(installed),
                differences=differences, verified=verified)


def widget_settings_from_collection(values, fields):
    """The collection's widget settings (``<domain>.json``, filter ``widget_settings``) -> {template key: value}.

    ``fields`` maps ``client_id``, ``api_key``, ``call_api_host``, ``call_api_port``, ``domain``
    and ``users`` to template keys; a field mapped to nothing is not sent. ``users`` becomes
    ``{amoCRM user name: phone}`` for the subscribers that name one.
    """
    unknown = sorted(set(fields) - set(WIDGET_SOURCE_FIELDS))
    if unknown:
        raise AmoCRMError('ecss_amocrm_widget_fields: unknown field(s) %s; the fields are %s' % (
            ', '.join(unknown), ', '.join(WIDGET_SOURCE_FIELDS)))
    settings = {}
    for source in WIDGET_SOURCE_FIELDS:
        key = fields.get(source)
        if key in (None, ''):
            continue
        if not isinstance(key, str):
            raise AmoCRMError('ecss_amocrm_widget_fields.%s must be a template key (a string), got %r' % (source, key))
        if key in settings:
            raise AmoCRMError('ecss_amocrm_widget_fields: two fields map to the template key %s' % key)
        if source == 'users':
            users = {}
            for user in values.get('users') or []:
                if not user.get('name'):
                    continue
                name, phone = str(user['name']), str(user['phone'])
                if users.get(name, phone) != phone:
                    raise AmoCRMError('amoCRM user %s is named for two numbers, %s and %s: the widget holds one '
                                      'number per user' % (name, users[name], phone))
                users[name] = phone
            settings[key] = users
        else:
            value = values.get(source)
            settings[key] = None if value is None else _text(value)
    return settings


def widget_target_conflicts(domains, accounts, defaults):
    """Sentences naming domains that would configure the same widget of the same amoCRM account.

    One account holds one copy of a widget's settings: two domains writing theirs into it
    would overwrite each other on every run. ``accounts`` is ``ecss_amocrm_accounts``,
    ``defaults`` the global ``base_url``, ``subdomain`` and ``widget_code``.
    """
    owners = {}
    for domain in domains or []:
        account = dict(defaults or {})
        account.update(dict((k, v) for k, v in ((accounts or {}).get(domain.get('name')) or {}).items() if v))
        code = account.get('widget_code')
        if not code:
            continue
        where = (account.get('base_url') or '').rstrip('/') or (
            'https://%s.amocrm.ru' % account['subdomain'] if account.get('subdomain') else '(ECSS_AMOCRM_BASE_URL)')
        owners.setdefault((where, code), []).append(domain.get('name'))
    return ['domains %s all configure widget %s of the amoCRM account at %s, which holds one copy of its settings: '
            'give each domain its own account or widget code in ecss_amocrm_accounts' % (' and '.join(names), code, where)
            for (where, code), names in sorted(owners.items()) if len(names) > 1]


# --- the record of what was sent (amoCRM does not show pass values back) ------------------------

def read_widget_record(path, base_url, code):
    """``{key: fingerprint}`` last sent to this widget of this account, or None."""
    try:
        with open(path, encoding='utf-8') as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get('base_url') != base_url or record.get('code') != code:
        return None
    fingerprints = record.get('fingerprints')
    return fingerprints if isinstance(fingerprints, dict) else None


def write_widget_record(path, base_url, code, fingerprints):
    """Atomically, mode 0600: fingerprints only, but nobody else needs to read them."""
    directory = os.path.dirname(os.path.abspath(path))
    record = dict(base_url=base_url, code=code, fingerprints=fingerprints,
                  updated_at=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                  note='fingerprints of the widget settings ecss.callapi.amocrm_widget last sent; no secret')
    fd, temporary = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            json.dump(record, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def remove_widget_record(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        raise AmoCRMError('the widget was switched off, but its record %s could not be removed: %s' % (path, e))


# --- rights -----------------------------------------------------------------------------------

def current_user_rights(client):
    """``{id, name, is_admin, account}`` of the token's user, from read-only requests.

    ``GET /api/v4/users/{id}`` is itself for administrators only: a 403 there means the
    user is not one. ``is_admin`` is None when amoCRM does not name the current user.
    """
    account = client.get_account()
    user_id = account.get('current_user_id')
    rights = dict(id=user_id, name=None, is_admin=None, account=account)
    if user_id is None:
        return rights
    try:
        user = client.get_user(user_id)
    except AmoCRMError as e:
        if e.status != 403:
            raise
        rights['is_admin'] = False
        return rights
    rights['name'] = user.get('name')
    rights['is_admin'] = bool((user.get('rights') or {}).get('is_admin'))
    return rights


def admin_problem(rights, code):
    """The message for a token that may not install or change a widget, or None."""
    if rights.get('is_admin') is not False:
        return None
    account = rights.get('account') or {}
    who = '%s (id %s)' % (rights['name'], rights['id']) if rights.get('name') else 'id %s' % rights.get('id')
    return ('the amoCRM token belongs to user %s of account %s, who lacks the right to manage widgets: '
            'installing, changing or switching off widget %s (POST/DELETE %s) needs the %s right. '
            'Use a long-lived token issued by an account administrator; nothing was changed'
            % (who, account.get('subdomain') or account.get('name') or '?', code, widget_path(code), ADMIN_RIGHT))


# --- module logic -----------------------------------------------------------------------------

def _widget_or_fail(client, code):
    widget = client.get_widget(code)
    if widget is None:
        raise AmoCRMError('the amoCRM account at %s has no widget with code %r (find the code with '
                          'ecss.callapi.amocrm_widget_info name=...)' % (client.base_url, code))
    return widget


def _require_admin(client, code):
    problem = admin_problem(current_user_rights(client), code)
    if problem:
        raise AmoCRMError(problem, status=403)


def ensure_widget(client, params, check_mode):
    """Result dict of ``amocrm_widget``: install, change or switch off a widget, idempotently.

    Everything is checked with GET requests first (template, rights, users); then at most
    one POST or DELETE. ``state_file`` records the fingerprints of what was sent.
    """
    code = check_widget_code(params['code'])
    widget = _widget_or_fail(client, code)
    fields = template_fields(widget)
    try:
        return _ensure_widget(client, params, check_mode, code, widget, fields)
    except AmoCRMError as e:
        # The template is known by now: the module need hide only the secrets, not every value.
        e.secret_keys = sorted(secret_keys_of(fields, params.get('secret_keys')))
        raise


def _ensure_widget(client, params, check_mode, code, widget, fields):
    state_file = params.get('state_file')
    installed = bool(widget.get('is_active_in_account'))
    path = widget_path(code)
    result = dict(changed=False, code=code, installed=installed, requests=[], differences=[], verified={},
                  users={}, settings={})
    if params.get('state') == 'absent':
        result['diff'] = dict(before=dict(installed=installed), after=dict(installed=False))
        if not installed:
            return result
        _require_admin(client, code)
        result.update(changed=True, requests=['DELETE ' + path], installed=False)
        if not check_mode:
            client.uninstall_widget(code)
            if state_file:
                remove_widget_record(state_file)
        return result

    settings = dict((str(k), v) for k, v in (params.get('settings') or {}).items() if v is not None)
    problems = widget_settings_problems(fields, settings)
    if problems:
        raise AmoCRMError('widget %s: the settings do not fit its template: %s. Nothing was sent'
                          % (code, '; '.join(problems)))
    _require_admin(client, code)
    named = users_named_in(fields, settings)
    user_ids = resolve_users(client.list_users(), named) if named else {}
    wanted = widget_settings_to_send(fields, settings, user_ids)
    secret = secret_keys_of(fields, params.get('secret_keys'))
    observed = observed_settings(fields, widget.get('settings'), secret) if installed else None
    recorded = read_widget_record(state_file, client.base_url, code) if state_file else None
    comparison = compare_widget_settings(wanted, observed, recorded, secret, installed)
    after = settings_view(wanted, secret)
    before = {}
    for key in wanted:
        if key in comparison['verified']:
            before[key] = after[key]
        elif key in (observed or {}):
            before[key] = observed[key]
        else:
            before[key] = (recorded or {}).get(key, UNKNOWN_VALUE)
    result.update(differences=comparison['differences'], verified=comparison['verified'], users=user_ids,
                  settings=after, secret_keys=sorted(secret),
                  diff=dict(before=dict(installed=installed, settings=before), after=dict(installed=True, settings=after)))
    if comparison['match']:
        return result
    result.update(changed=True, requests=['POST ' + path])
    if check_mode:
        return result
    client.install_widget(code, wanted)
    result['installed'] = True
    if state_file:
        try:
            write_widget_record(state_file, client.base_url, code, dict((k, fingerprint(v)) for k, v in wanted.items()))
        except OSError as e:
            raise AmoCRMError('widget %s: the settings were sent, but the record %s could not be written (%s); '
                              'the next run sends them again' % (code, state_file, e))
    return result


def widget_secret_strings(settings, keys=None):
    """Every string under ``keys`` of ``settings`` (all keys when None), to keep out of output.

    With the template unknown (a failure before it was read) every value counts as secret,
    so nothing a ``pass`` field holds can slip through.
    """
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif value is not None and not isinstance(value, bool) and str(value) != '':
            found.add(str(value))

    for key in (settings or {}) if keys is None else keys:
        walk((settings or {}).get(key))
    return found


def widget_summary(widget):
    return dict(id=widget.get('id'), code=widget.get('code'), name=widget.get('name'), version=widget.get('version'),
                installed=bool(widget.get('is_active_in_account')))


def widget_info(client, code=None, name=None, secret_keys=(), state_file=None, users=None):
    """Result dict of ``amocrm_widget_info``: one widget by code, or a search by name."""
    if not code:
        wanted = _fold(name)
        widgets = [w for w in client.list_widgets()
                   if wanted in _fold(w.get('code')) or wanted in _fold(w.get('name')) or wanted in _fold(w.get('title'))]
        return dict(changed=False, widgets=[widget_summary(w) for w in widgets])
    check_widget_code(code)
    widget = client.get_widget(code)
    if widget is None:
        return dict(changed=False, found=False, widget=None)
    fields = template_fields(widget)
    secret = secret_keys_of(fields, secret_keys)
    observed = observed_settings(fields, widget.get('settings'), secret)
    rights = current_user_rights(client)
    result = dict(changed=False, found=True,
                  widget=dict(widget_summary(widget), template=list(fields.values()), settings=observed,
                              settings_returned=observed is not None, secret_keys=sorted(secret)),
                  current_user=dict(id=rights['id'], name=rights['name'], is_admin=rights['is_admin']))
    if state_file:
        result['recorded'] = read_widget_record(state_file, client.base_url, code)
    if users:
        result['user_ids'] = resolve_users(client.list_users(), [str(u) for u in users])
    return result


def widget_settings_match(wanted, info, secret_keys=()):
    """Does a registered ``amocrm_widget_info`` result (by code) show the settings a playbook wants?

    ``wanted`` is what ``amocrm_widget`` would be given (template key -> value, users by name,
    e-mail or id; names are mapped with the info's ``user_ids``). Secrets are compared by
    fingerprint only. Returns ``match``, ``installed``, ``differences`` (keys),
    ``verified`` (key -> ``amocrm`` or ``record``) and ``unresolved_users``.
    """
    widget = (info or {}).get('widget') or {}
    settings = dict((str(k), v) for k, v in (wanted or {}).items() if v is not None)
    if not widget:
        return dict(match=False, installed=False, differences=sorted(settings), verified={}, unresolved_users=[])
    fields = dict((f['key'], f) for f in widget.get('template') or [])
    secret = secret_keys_of(fields, secret_keys) | set(widget.get('secret_keys') or [])
    user_ids = dict((str(k), v) for k, v in ((info or {}).get('user_ids') or {}).items())
    unresolved = [u for u in users_named_in(fields, settings) if not u.isdigit() and u not in user_ids]
    comparison = compare_widget_settings(widget_settings_to_send(fields, settings, user_ids), widget.get('settings'),
                                         (info or {}).get('recorded'), secret, widget.get('installed'))
    comparison['unresolved_users'] = unresolved
    return comparison
