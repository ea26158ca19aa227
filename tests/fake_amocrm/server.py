"""Fake amoCRM: a real HTTP server on 127.0.0.1 with the parts of amoCRM the collection uses.

It is stateful (contacts, call notes) and strict where amoCRM is strict, so the modules are
tested against the behaviour that makes real runs fail:
- API v4 needs ``Authorization: Bearer <token>``; anything else gets amoCRM's 401 shape.
- More than ``rate_limit`` requests in one second get 429, and ``inject_429(n)`` forces
  the next n requests to get it.
- ``POST /api/v4/calls`` validates every item (direction, phone length >= 5, duration,
  source, call_status) and answers 400 with ``validation-errors``; a call whose phone has
  no contact is reported in ``errors`` and not stored.  Posting the same ``uniq`` twice
  stores two calls, as nothing in amoCRM's docs promises otherwise: idempotency has to
  come from the client.
- ``GET /api/v4/contacts?query=`` and the notes list answer 204 No Content when empty.
- The seed's legacy flow: ``POST /private/api/auth.php`` (form USER_LOGIN/USER_HASH) sets a
  session cookie that ``POST /api/v2/calls/`` requires.
"""

import json
import re
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NOTE_TYPES = {'inbound': 'call_in', 'outbound': 'call_out'}
MIN_PHONE_LENGTH = 5


def _digits(value):
    return re.sub(r'\D', '', str(value or ''))


class FakeAmoCRM:
    def __init__(self, token, subdomain='ecsstest', account_name='ECSS test account', account_id=31000001,
                 rate_limit=7, legacy_login=None, legacy_hash=None):
        self.token = token
        self.subdomain = subdomain
        self.account = {'id': account_id, 'name': account_name, 'subdomain': subdomain,
                        'country': 'RU', 'currency': 'RUB'}
        self.rate_limit = rate_limit
        self.legacy_login = legacy_login
        self.legacy_hash = legacy_hash
        self.lock = threading.Lock()
        self.contacts = {}
        self.notes = []
        self.requests = []          # (method, path) of every request, token never recorded
        self.sessions = set()
        self._recent = []
        self._forced_429 = 0
        self._next_id = 1000
        self._httpd = None
        self._thread = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, host='127.0.0.1', port=0):
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name='fake-amocrm', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self):
        host, port = self._httpd.server_address[:2]
        return 'http://%s:%d' % (host, port)

    # --- test helpers ---------------------------------------------------------------------
    def new_id(self):
        self._next_id += 1
        return self._next_id

    def add_contact(self, name, phone):
        with self.lock:
            return self._store_contact(name, [str(phone)])

    def inject_429(self, count):
        with self.lock:
            self._forced_429 += count

    def calls_for(self, phone):
        wanted = _digits(phone)
        return [n for n in self.notes if _digits(n['params'].get('phone')) == wanted]

    def mutating_requests(self):
        return [r for r in self.requests if r[0] in ('POST', 'PATCH', 'PUT', 'DELETE')]

    # --- model ------------------------------------------------------------------------------
    def _store_contact(self, name, phones):
        contact_id = self.new_id()
        contact = {
            'id': contact_id, 'name': name, 'responsible_user_id': 0, 'created_at': int(time.time()),
            'custom_fields_values': [{
                'field_id': 1, 'field_name': 'Телефон', 'field_code': 'PHONE',
                'values': [{'value': p, 'enum_id': 1, 'enum_code': 'WORK'} for p in phones]}],
        }
        self.contacts[contact_id] = contact
        return contact

    def _contacts_with_phone(self, phone):
        wanted = _digits(phone)
        found = []
        for contact in self.contacts.values():
            for field in contact['custom_fields_values']:
                if field['field_code'] == 'PHONE' and any(_digits(v['value']) == wanted for v in field['values']):
                    found.append(contact)
        return found

    def _search(self, query):
        # amoCRM's query is a full-text search: a part of a number matches too.
        query_digits = _digits(query)
        found = []
        for contact in self.contacts.values():
            phones = [v['value'] for f in contact['custom_fields_values'] for v in f['values']]
            if (query_digits and any(query_digits in _digits(p) for p in phones)) or \
                    (query and query.lower() in contact['name'].lower()):
                found.append(contact)
        return found

    def _add_call_note(self, contact, call):
        note = {
            'id': self.new_id(), 'entity_id': contact['id'], 'note_type': NOTE_TYPES[call['direction']],
            'created_by': call.get('created_by', 0), 'created_at': call.get('created_at', int(time.time())),
            'params': {k: call.get(k) for k in ('uniq', 'duration', 'source', 'link', 'phone',
                                                'call_status', 'call_result')},
        }
        self.notes.append(note)
        return note

    def _rate_limited(self):
        now = time.monotonic()
        if self._forced_429:
            self._forced_429 -= 1
            return True
        self._recent = [t for t in self._recent if now - t < 1.0]
        if len(self._recent) >= self.rate_limit:
            return True
        self._recent.append(now)
        return False


def _problem(status, title, detail, **extra):
    body = {'title': title, 'type': 'https://httpstatus.es/%d' % status, 'status': status, 'detail': detail}
    body.update(extra)
    return status, body


def validate_v4_call(call):
    if not isinstance(call, dict):
        return [{'code': 'InvalidType', 'path': '', 'detail': 'This value should be of type object.'}]
    errors = []
    if call.get('direction') not in NOTE_TYPES:
        errors.append({'code': 'NotSupportedChoice', 'path': 'direction',
                       'detail': 'The value you selected is not a valid choice.'})
    phone = call.get('phone')
    if not isinstance(phone, str) or not phone:
        errors.append({'code': 'NotBlank', 'path': 'phone', 'detail': 'This value should not be blank.'})
    elif len(phone) < MIN_PHONE_LENGTH:
        errors.append({'code': 'TooShort', 'path': 'phone',
                       'detail': 'This value is too short. It should have %d characters or more.' % MIN_PHONE_LENGTH})
    if not isinstance(call.get('duration'), int) or isinstance(call.get('duration'), bool) or call['duration'] < 0:
        errors.append({'code': 'InvalidType', 'path': 'duration', 'detail': 'This value should be of type int.'})
    if not isinstance(call.get('source'), str) or not call.get('source'):
        errors.append({'code': 'NotBlank', 'path': 'source', 'detail': 'This value should not be blank.'})
    if 'call_status' in call and call['call_status'] not in range(1, 8):
        errors.append({'code': 'NotSupportedChoice', 'path': 'call_status',
                       'detail': 'The value you selected is not a valid choice.'})
    return errors


class _Handler(BaseHTTPRequestHandler):
    server_state = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # keep test output quiet; headers are never printed
        pass

    def do_GET(self):
        self._dispatch('GET')

    def do_POST(self):
        self._dispatch('POST')

    def do_PATCH(self):
        self._dispatch('PATCH')

    def _dispatch(self, method):
        fake = self.server_state
        parts = urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        with fake.lock:
            fake.requests.append((method, parts.path))
            if fake._rate_limited():
                return self._send(*_problem(429, 'Too Many Requests', 'Rate limit exceeded'))
            try:
                status, body, headers = self._route(method, parts.path, parse_qs(parts.query), raw)
            except ValueError:
                status, body = _problem(400, 'Bad Request', 'Request body is not valid JSON')
                headers = {}
        self._send(status, body, headers)

    def _route(self, method, path, query, raw):
        fake = self.server_state
        if path == '/private/api/auth.php' and method == 'POST':
            return self._legacy_auth(raw)
        if path.rstrip('/') == '/api/v2/calls' and method == 'POST':
            return self._legacy_calls(raw)
        if not path.startswith('/api/v4/'):
            return _problem(404, 'Not Found', 'No route for %s %s' % (method, path)) + ({},)
        if self.headers.get('Authorization') != 'Bearer ' + fake.token:
            return _problem(401, 'Unauthorized', 'Invalid user name or password') + ({},)
        if path == '/api/v4/account' and method == 'GET':
            return 200, dict(fake.account), {}
        if path == '/api/v4/contacts' and method == 'GET':
            found = fake._search((query.get('query') or [''])[0])
            if not found:
                return 204, None, {}
            limit = int((query.get('limit') or ['50'])[0])
            return 200, {'_page': 1, '_links': {'self': {'href': path}},
                         '_embedded': {'contacts': found[:limit]}}, {}
        if path == '/api/v4/contacts' and method == 'POST':
            return self._add_contacts(json.loads(raw or b'null'))
        match = re.match(r'^/api/v4/contacts/(\d+)/notes$', path)
        if match and method == 'GET':
            return self._list_notes(int(match.group(1)), query)
        if path == '/api/v4/calls' and method == 'POST':
            return self._add_calls(json.loads(raw or b'null'))
        return _problem(404, 'Not Found', 'No route for %s %s' % (method, path)) + ({},)

    def _add_contacts(self, body):
        fake = self.server_state
        if not isinstance(body, list) or not body:
            return _problem(400, 'Bad Request', 'Request validation failed', **{'validation-errors': [
                {'request_id': '0', 'errors': [{'code': 'InvalidType', 'path': '',
                                                'detail': 'This value should be of type array.'}]}]}) + ({},)
        created = []
        for index, item in enumerate(body):
            phones = [v.get('value') for f in item.get('custom_fields_values') or []
                      if f.get('field_code') == 'PHONE' for v in f.get('values') or []]
            contact = fake._store_contact(item.get('name') or 'Contact', [str(p) for p in phones])
            created.append({'id': contact['id'], 'request_id': str(index)})
        return 200, {'_links': {}, '_embedded': {'contacts': created}}, {}

    def _list_notes(self, contact_id, query):
        fake = self.server_state
        if contact_id not in fake.contacts:
            return _problem(404, 'Not Found', 'Entity not found') + ({},)
        wanted = set(query.get('filter[note_type]', []) + query.get('filter[note_type][]', []))
        notes = [n for n in fake.notes if n['entity_id'] == contact_id and (not wanted or n['note_type'] in wanted)]
        limit = int((query.get('limit') or ['50'])[0])
        page = int((query.get('page') or ['1'])[0])
        chunk = notes[(page - 1) * limit: page * limit]
        if not chunk:
            return 204, None, {}
        links = {'self': {'href': '?page=%d' % page}}
        if page * limit < len(notes):
            links['next'] = {'href': '?page=%d' % (page + 1)}
        return 200, {'_page': page, '_links': links, '_embedded': {'notes': chunk}}, {}

    def _add_calls(self, body):
        fake = self.server_state
        if not isinstance(body, list) or not body:
            return _problem(400, 'Bad Request', 'Request validation failed', **{'validation-errors': [
                {'request_id': '0', 'errors': [{'code': 'InvalidType', 'path': '',
                                                'detail': 'This value should be of type array.'}]}]}) + ({},)
        validation = []
        for index, call in enumerate(body):
            errors = validate_v4_call(call)
            if errors:
                validation.append({'request_id': str(call.get('request_id', index)) if isinstance(call, dict)
                                   else str(index), 'errors': errors})
        if validation:
            return _problem(400, 'Bad Request', 'Request validation failed',
                            **{'validation-errors': validation}) + ({},)
        calls, errors = [], []
        for index, call in enumerate(body):
            request_id = str(call.get('request_id', index))
            contacts = fake._contacts_with_phone(call['phone'])
            if not contacts:
                errors.append({'request_id': request_id, 'status': 404, 'title': 'Entity not found',
                               'detail': 'No contact or company with phone %s' % call['phone']})
                continue
            note = fake._add_call_note(contacts[0], call)
            calls.append({'id': note['id'], 'entity_id': contacts[0]['id'], 'entity_type': 'contacts',
                          'account_id': fake.account['id'], 'request_id': request_id})
        return 200, {'_total_items': len(calls), '_embedded': {'calls': calls}, 'errors': errors}, {}

    # --- the seed's legacy flow (API v2 with a session cookie) ----------------------------
    def _legacy_auth(self, raw):
        fake = self.server_state
        form = parse_qs(raw.decode('utf-8'))
        login = (form.get('USER_LOGIN') or [''])[0]
        user_hash = (form.get('USER_HASH') or [''])[0]
        if not fake.legacy_login or login != fake.legacy_login or user_hash != fake.legacy_hash:
            return 401, {'response': {'auth': False, 'error': 'Неверный логин или пароль', 'error_code': '110'}}, {}
        session = 'fake%d' % fake.new_id()
        fake.sessions.add(session)
        return 200, {'response': {'auth': True, 'accounts': [
            {'id': fake.account['id'], 'name': fake.account['name'], 'subdomain': fake.subdomain}]}}, \
            {'Set-Cookie': 'session_id=%s; Path=/; HttpOnly' % session}

    def _legacy_calls(self, raw):
        fake = self.server_state
        cookie = SimpleCookie(self.headers.get('Cookie') or '')
        if 'session_id' not in cookie or cookie['session_id'].value not in fake.sessions:
            return 401, {'response': {'error': 'Authorization required', 'error_code': '110'}}, {}
        body = json.loads(raw or b'null')
        items, errors = [], []
        for index, call in enumerate((body or {}).get('add') or []):
            phone = str(call.get('phone_number') or '')
            if len(phone) < MIN_PHONE_LENGTH or call.get('direction') not in NOTE_TYPES:
                errors.append({'request_id': str(index), 'detail': 'invalid phone_number or direction'})
                continue
            contacts = fake._contacts_with_phone(phone)
            if not contacts:
                # The seed: "if no contact has the number yet, the call is dropped".
                continue
            note = fake._add_call_note(contacts[0], {'direction': call['direction'], 'phone': phone,
                                                     'link': call.get('link'), 'source': 'v2', 'duration': 0})
            items.append({'id': note['id'], 'element_id': contacts[0]['id']})
        return 200, {'_embedded': {'items': items, 'errors': errors}}, {}

    def _send(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body is None:
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        data = json.dumps(body, ensure_ascii=False).encode('utf-8')
        content_type = 'application/problem+json' if status >= 400 and 'title' in body else 'application/hal+json'
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
