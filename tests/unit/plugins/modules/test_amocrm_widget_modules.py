# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""amocrm_widget and amocrm_widget_info main(): secrets out of every result, changed after a failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.ecss.callapi.tests.unit.compat.module_args import patch_module_args
from ansible_collections.ecss.callapi.plugins.module_utils import amocrm
from ansible_collections.ecss.callapi.plugins.modules import amocrm_widget, amocrm_widget_info
from ansible_collections.ecss.callapi.tests.unit.plugins.amocrm_widget_api import CODE, WidgetAPI

TOKEN = 'module-token-51c7'
KEY = 'Zq8XwV3rT6yU9iO2pA5sD8fG1hJ4kL7mN0bV3cX6zQ9wE2rT5yU8iO1pA4sD7fG0'
NOTE = 'text-secret-3e9d1c'
SETTINGS = {'clientid': 'amocrm', 'apikey': KEY, 'port': '8088', 'phones': {'Ivan Petrov': '240473'}}


def run(module, args, api, monkeypatch, capsys, check_mode=False, diff=False):
    monkeypatch.setattr(amocrm, 'open_url', api)
    args = dict(args, base_url='https://acme.amocrm.ru', token=TOKEN, requests_per_second=0,
                _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), out


def test_pass_values_and_secret_keys_stay_out_of_the_result_diff_and_invocation(monkeypatch, capsys, tmp_path):
    api = WidgetAPI()
    settings = dict(SETTINGS, clientid=NOTE)
    args = {'code': CODE, 'settings': settings, 'secret_keys': ['clientid'], 'state_file': str(tmp_path / 'r.json')}
    result, raw = run(amocrm_widget, args, api, monkeypatch, capsys, diff=True)
    assert result['changed'] is True and api.sent[-1][2]['apikey'] == KEY and api.sent[-1][2]['clientid'] == NOTE
    assert KEY not in raw and NOTE not in raw and TOKEN not in raw
    assert result['diff']['after']['settings']['apikey'] == amocrm.fingerprint(KEY)
    assert result['invocation']['module_args']['settings']['port'] == '8088'  # not a secret: still readable
    assert result['secret_keys'] == ['apikey', 'clientid']


def test_check_mode_sends_nothing(monkeypatch, capsys):
    api = WidgetAPI()
    result, _raw = run(amocrm_widget, {'code': CODE, 'settings': SETTINGS}, api, monkeypatch, capsys, check_mode=True)
    assert result['changed'] is True and result['requests'] == ['POST /api/v4/widgets/' + CODE] and api.writes() == []
    assert 'diff' not in result


def test_a_failure_before_the_template_is_read_hides_every_value(monkeypatch, capsys):
    result, raw = run(amocrm_widget, {'code': 'unknown_widget', 'settings': SETTINGS}, WidgetAPI(), monkeypatch, capsys)
    assert result['failed'] is True and "has no widget with code 'unknown_widget'" in result['msg']
    assert KEY not in raw and result['changed'] is False
    assert result['invocation']['module_args']['settings']['port'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


def test_a_failure_after_the_post_reports_the_change(monkeypatch, capsys, tmp_path):
    args = {'code': CODE, 'settings': SETTINGS, 'state_file': str(tmp_path / 'no-such-dir' / 'r.json')}
    result, raw = run(amocrm_widget, args, WidgetAPI(), monkeypatch, capsys)
    assert result['failed'] is True and result['changed'] is True
    assert result['requests'] == ['POST /api/v4/widgets/' + CODE] and KEY not in raw


def test_user_token_message_names_the_right(monkeypatch, capsys):
    result, _raw = run(amocrm_widget, {'code': CODE, 'settings': SETTINGS}, WidgetAPI(token_user=11), monkeypatch,
                       capsys)
    assert result['failed'] is True and result['status'] == 403 and result['changed'] is False
    assert 'account administrator (rights.is_admin)' in result['msg']


def test_info_shows_the_template_and_no_pass_value(monkeypatch, capsys):
    api = WidgetAPI(installed=True, settings=dict(SETTINGS, phones={'20': '240473'}))
    api.view = lambda: dict(api.widget)  # even an account that returns pass values
    result, raw = run(amocrm_widget_info, {'code': CODE}, api, monkeypatch, capsys)
    assert KEY not in raw and result['widget']['settings']['apikey'] == amocrm.fingerprint(KEY)
    assert [f['key'] for f in result['widget']['template']] == ['clientid', 'apikey', 'port', 'phones']
    assert result['widget']['installed'] is True and result['current_user']['is_admin'] is True


def test_info_needs_code_or_name(monkeypatch, capsys):
    result, _raw = run(amocrm_widget_info, {}, WidgetAPI(), monkeypatch, capsys)
    assert result['failed'] is True and 'one of the following is required: code, name' in result['msg']
