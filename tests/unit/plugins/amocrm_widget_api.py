# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory amoCRM widgets/users API for unit tests: an ``open_url`` stand-in that keeps state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import re
from urllib.error import HTTPError

CODE = 'ecss10_widget'
TEMPLATE = [
    {'key': 'clientid', 'name': 'Client ID', 'type': 'text', 'is_required': True},
    {'key': 'apikey', 'name': 'API key', 'type': 'pass', 'is_required': True},
    {'key': 'port', 'name': 'Port', 'type': 'text', 'is_required': False},
    {'key': 'phones', 'name': 'Phones', 'type': 'users', 'is_required': False},
]
ADMIN, PLAIN = 10, 11


class Answer:
    headers = {}

    def __init__(self, status, body):
        self.status = status
        self.raw = b'' if body is None else json.dumps(body).encode('utf-8')

    def getcode(self):
        return self.status

    def read(self):
        return self.raw


class WidgetAPI:
    """``GET/POST/DELETE /api/v4/widgets/<code>``, paged users, account; ``pass`` values never shown."""

    def __init__(self, token_user=ADMIN, installed=False, settings=None, users=None, page_size=2,
                 show_settings=True, user_endpoint_403=True):
        self.token_user = token_user
        self.widget = {'id': 1, 'code': CODE, 'version': '1.0', 'settings_template': TEMPLATE,
                       'is_active_in_account': installed, 'settings': dict(settings or {})}
        self.users = users if users is not None else [
            {'id': ADMIN, 'name': 'Admin', 'email': 'admin@example.test', 'rights': {'is_admin': True}},
            {'id': PLAIN, 'name': 'Plain', 'email': 'plain@example.test', 'rights': {'is_admin': False}},
            {'id': 20, 'name': 'Ivan Petrov', 'email': 'ivan@example.test', 'rights': {'is_admin': False}},
            {'id': 21, 'name': 'Maria Sidorova', 'email': 'maria@example.test', 'rights': {'is_admin': False}},
        ]
        self.page_size = page_size
        self.show_settings = show_settings
        self.user_endpoint_403 = user_endpoint_403
        self.sent = []

    def writes(self):
        return [(m, p) for m, p, _b in self.sent if m != 'GET']

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        path, _sep, query = url.split('://', 1)[1].partition('/')[2].partition('?')
        path = '/' + path
        self.sent.append((method, path, json.loads(data) if data else None))
        status, body = self.route(method, path, dict(p.split('=', 1) for p in query.split('&') if p))
        if status >= 400:
            raise HTTPError(url, status, 'error', {}, io.BytesIO(json.dumps(body).encode('utf-8')))
        return Answer(status, body)

    def is_admin(self):
        return any(u['id'] == self.token_user and u['rights']['is_admin'] for u in self.users)

    def route(self, method, path, query):
        forbidden = (403, {'title': 'Forbidden', 'status': 403, 'detail': 'Access denied'})
        if path == '/api/v4/account':
            return 200, {'id': 99, 'name': 'Acme', 'subdomain': 'acme', 'current_user_id': self.token_user}
        match = re.match(r'^/api/v4/users/(\d+)$', path)
        if match:
            if self.user_endpoint_403 and not self.is_admin():
                return forbidden
            return 200, next(u for u in self.users if u['id'] == int(match.group(1)))
        if path == '/api/v4/users':
            if not self.is_admin():
                return forbidden
            page = int(query.get('page', 1))
            chunk = self.users[(page - 1) * self.page_size: page * self.page_size]
            links = {'next': {'href': 'page=%d' % (page + 1)}} if page * self.page_size < len(self.users) else {}
            return 200, {'_links': links, '_embedded': {'users': chunk}}
        if path == '/api/v4/widgets':
            return 200, {'_links': {}, '_embedded': {'widgets': [self.view()]}}
        if path != '/api/v4/widgets/' + CODE:
            return 404, {'title': 'Not Found', 'status': 404, 'detail': 'Widget not found'}
        if method == 'GET':
            return 200, self.view()
        if not self.is_admin():
            return forbidden
        if method == 'POST':
            self.widget['settings'] = json.loads(json.dumps(self.sent[-1][2]))
            self.widget['is_active_in_account'] = True
            return 200, self.view()
        self.widget['settings'] = {}
        self.widget['is_active_in_account'] = False
        return 204, None

    def view(self):
        view = dict((k, v) for k, v in self.widget.items() if k != 'settings')
        if self.show_settings and self.widget['is_active_in_account']:
            view['settings'] = dict((k, v) for k, v in self.widget['settings'].items() if k != 'apikey')
        return view
