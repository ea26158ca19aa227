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
- Users and widgets: an administrator token (``token``) and optionally a user token
  (``user_token``) whose user is no administrator. ``GET /api/v4/users`` and
  ``/api/v4/users/{id}`` answer 403 to the user token, as do ``POST``/``DELETE
  /api/v4/widgets/{code}`` (amoCRM: administrators only). The users list is paged with at most
  ``users_page_size`` per page whatever ``limit`` asks. ``GET /api/v4/widgets/{code}`` never
  returns ``pass`` (or ``users_lp``) values, and with ``return_widget_settings=False`` no
  settings at all (amoCRM documents them for the widget's own integration only). ``POST``
  checks every required template field and every value's type and answers 400 with
  ``validation-errors``.
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
ADMIN_USER_ID = 5001
PLAIN_USER_ID = 5002
# The ECSS-10 widget as the tests model it: its keys differ from the collection's names,
# the API key is a pass field, the phones a users field, one text field is optional.
ECSS_WIDGET_CODE = 'ecss10_call_api'
ECSS_WIDGET_TEMPLATE = [
    {'key': 'ecss_client', 'name': 'Client ID', 'type': 'text', 'is_required': True},
    {'key': 'ecss_secret', 'name': 'API key', 'type': 'pass', 'is_required': True},
    {'key': 'ecss_host', 'name': 'Call API host', 'type': 'text', 'is_required': True},
    {'key': 'ecss_port', 'name': 'Call API port', 'type': 'text', 'is_required': True},
    {'key': 'ecss_vpbx', 'name': 'Domain', 'type': 'text', 'is_required': True},
    {'key': 'ecss_phones', 'name': 'Phone numbers', 'type': 'users', 'is_required': False},
    {'key': 'ecss_note', 'name': 'Note', 'type': 'text', 'is_required': False},
]
HIDDEN_FIELD_TYPES = ('pass', 'users_lp')


def _digits(value):
    return re.sub(r'\D', '', str(value or ''))


class FakeAmoCRM:
    def __init__(self, token, subdomain='ecsstest', account_name='ECSS test account', account_id=31000001,
                 rate_limit=7, legacy_login=None, legacy_hash=None, user_token=None, users_page_size=250,
                 return_widget_settings=True):
        self.token = token
        self.tokens = {token: ADMIN_USER_ID}
        if user_token:
            self.tokens[user_token] = PLAIN_USER_ID
        self.users = {}
        self.users_page_size = users_page_size
        self.widgets = {}
        self.widget_posts = []      # (code, body) of every accepted POST, for assertions
        self.return_widget_settings = return_widget_settings
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
        self.add_user('Account Admin', 'admin@example.test', is_admin=True, user_id=ADMIN_USER_ID)
        self.add_user('Plain User', 'plain@example.test', user_id=PLAIN_USER_ID)

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

    def add_user(self, name, email, is_admin=False, user_id=None, is_active=True):
        with self.lock:
            user_id = user_id or self.new_id()
            self.users[user_id] = {
                'id': user_id, 'name': name, 'email': email, 'lang': 'ru',
                'rights': {'leads': {'view': 'A', 'edit': 'A', 'add': 'A', 'delete': 'A', 'export': 'A'},
                           'mail_access': False, 'catalog_access': False, 'status_rights': [],
                           'is_admin': is_admin, 'is_free': False, 'is_active': is_active,
                           'group_id': None, 'role_id': None},
                '_links': {'self': {'href': '/api/v4/users/%d' % user_id}},
            }
            return user_id

    def add_widget(self, code=ECSS_WIDGET_CODE, template=None, installed=False, settings=None, version='1.0.0'):
        with self.lock:
            self.widgets[code] = {
                'id': self.new_id(), 'code': code, 'version': version, 'rating': 0,
                'settings_template': [dict(field) for field in (ECSS_WIDGET_TEMPLATE if template is None else template)],
                'is_lead_source': False, 'is_work_with_dp': False, 'is_crm_template': False, 'client_uuid': None,
                'is_active_in_account': installed, 'pipeline_id': None, 'settings': dict(settings or {}),
            }
            return self.widgets[code]

    def widget_requests(self, code=ECSS_WIDGET_CODE, method=None):
        path = '/api/v4/widgets/' + code
        return [r for r in self.requests if r[1] == path and (method is None or r[0] == method)]

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


def validate_widget_settings(template, body, users):
    """amoCRM's checks on a widget install, in its validation-errors shape."""
    if not isinstance(body, dict):
        return [{'code': 'InvalidType', 'path': '', 'detail': 'This value should be of type object.'}]
    errors = []
    for field in template:
        key, kind, value = field['key'], field['type'], body.get(field['key'])
        if value in (None, '', {}, []):
            if field.get('is_required'):
                errors.append({'code': 'NotBlank', 'path': key, 'detail': 'This value should not be blank.'})
            continue
        if kind in ('text', 'pass') and not isinstance(value, str):
            errors.append({'code': 'InvalidType', 'path': key, 'detail': 'This value should be of type string.'})
        elif kind in ('users', 'users_lp'):
            if not isinstance(value, dict):
                errors.append({'code': 'InvalidType', 'path': key, 'detail': 'This value should be of type object.'})
                continue
            for user_id, item in value.items():
                if not str(user_id).isdigit() or int(user_id) not in users:
                    errors.append({'code': 'NotFound', 'path': '%s.%s' % (key, user_id), 'detail': 'User not found.'})
                elif kind == 'users' and not isinstance(item, str):
                    errors.append({'code': 'InvalidType', 'path': '%s.%s' % (key, user_id),
                                   'detail': 'This value should be of type string.'})
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

    def do_DELETE(self):
        self._dispatch('DELETE')

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
        authorization = self.headers.get('Authorization') or ''
        user_id = fake.tokens.get(authorization[len('Bearer '):]) if authorization.startswith('Bearer ') else None
        if user_id is None:
            return _problem(401, 'Unauthorized', 'Invalid user name or password') + ({},)
        is_admin = fake.users[user_id]['rights']['is_admin']
        if path == '/api/v4/account' and method == 'GET':
            return 200, dict(fake.account, current_user_id=user_id), {}
        if path.startswith('/api/v4/users') or path.startswith('/api/v4/widgets'):
            return self._users_and_widgets(method, path, query, raw, is_admin)
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

    # --- users and widgets -----------------------------------------------------------------------
    def _users_and_widgets(self, method, path, query, raw, is_admin):
        fake = self.server_state
        forbidden = _problem(403, 'Forbidden', 'Access denied: the method is available to account administrators only')
        if path == '/api/v4/users' and method == 'GET':
            if not is_admin:
                return forbidden + ({},)
            users = [fake.users[k] for k in sorted(fake.users)]
            return self._page(path, query, users, 'users', fake.users_page_size)
        match = re.match(r'^/api/v4/users/(\d+)$', path)
        if match and method == 'GET':
            if not is_admin:
                return forbidden + ({},)
            user = fake.users.get(int(match.group(1)))
            return (200, user, {}) if user else _problem(404, 'Not Found', 'User not found') + ({},)
        if path == '/api/v4/widgets' and method == 'GET':
            widgets = [self._widget_view(w) for _code, w in sorted(fake.widgets.items())]
            return self._page(path, query, widgets, 'widgets', 250)
        match = re.match(r'^/api/v4/widgets/([^/]+)$', path)
        widget = fake.widgets.get(match.group(1)) if match else None
        if match and widget is None:
            return _problem(404, 'Not Found', 'Widget not found') + ({},)
        if match and method == 'GET':
            return 200, self._widget_view(widget), {}
        if match and method in ('POST', 'DELETE') and not is_admin:
            return forbidden + ({},)
        if match and method == 'POST':
            body = json.loads(raw or b'null')
            errors = validate_widget_settings(widget['settings_template'], body, fake.users)
            if errors:
                return _problem(400, 'Bad Request', 'Request validation failed', **{'validation-errors': [
                    {'request_id': '0', 'errors': errors}]}) + ({},)
            widget['settings'] = dict(body)
            widget['is_active_in_account'] = True
            fake.widget_posts.append((widget['code'], body))
            return 200, self._widget_view(widget), {}
        if match and method == 'DELETE':
            widget['settings'] = {}
            widget['is_active_in_account'] = False
            return 204, None, {}
        return _problem(404, 'Not Found', 'No route for %s %s' % (method, path)) + ({},)

    def _widget_view(self, widget):
        fake = self.server_state
        view = {k: v for k, v in widget.items() if k != 'settings'}
        if fake.return_widget_settings and widget['is_active_in_account']:
            hidden = set(f['key'] for f in widget['settings_template'] if f['type'] in HIDDEN_FIELD_TYPES)
            view['settings'] = {k: v for k, v in widget['settings'].items() if k not in hidden}
        return view

    @staticmethod
    def _page(path, query, items, embedded, page_size):
        limit = min(int((query.get('limit') or ['50'])[0]), page_size)
        page = int((query.get('page') or ['1'])[0])
        chunk = items[(page - 1) * limit: page * limit]
        if not chunk:
            return 204, None, {}
        links = {'self': {'href': '%s?page=%d&limit=%d' % (path, page, limit)}}
        if page * limit < len(items):
            links['next'] = {'href': '%s?page=%d&limit=%d' % (path, page + 1, limit)}
        return 200, {'_page': page, '_links': links, '_embedded': {embedded: chunk}}, {}

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
