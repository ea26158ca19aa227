"""playbooks/call_history.yml end to end with real ansible-playbook against the fake amoCRM.

The fake amoCRM (tests/fake_amocrm) is a real HTTP server on 127.0.0.1; the secrets reach
Ansible only through a 0600 vars file or the environment, never a command line.
"""

import json
import os
import re
import stat
import subprocess
import sys
import urllib.request

import pytest
import yaml

try:
    from fake_amocrm import FakeAmoCRM
except ImportError:  # run without scripts/env.sh: tests/ is not on PYTHONPATH yet
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fake_amocrm import FakeAmoCRM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'call_history.yml')
BIN = os.path.dirname(sys.executable)
TOKEN = 'lltoken-7f3c9a1e5b2d4c6e8a0f1b3d5e7a9c2e'
LEGACY_LOGIN = 'ops+amo@example.com'
LEGACY_HASH = 'userhash-0d9e8f7a6b5c4d3e'
DOMAIN = 'biysk.local'
SMOKE_PHONE = '79130000001'
SMOKE_UNIQ = 'ecss10-call-history-smoke-' + DOMAIN

pytestmark = pytest.mark.timeout(300)


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        'LC_ALL': 'C.UTF-8', 'LANG': 'C.UTF-8',
        'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.build', 'collections'),
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    env.pop('ECSS_AMOCRM_TOKEN', None)
    env.update(extra or {})
    return env


def write_secret_file(path, data):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(yaml.safe_dump(data))
    return path


class Project:
    """Inventory + vars of one test, and a runner for the playbook."""

    def __init__(self, tmp_path, fake, **overrides):
        self.tmp_path = tmp_path
        self.fake = fake
        self.settings_dir = tmp_path / 'settings'
        self.inventory = tmp_path / 'inventory.ini'
        self.inventory.write_text(
            '[ecss]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
        variables = {
            'ecss_domains': [{'name': DOMAIN, 'client_id': 'amocrm', 'subscribers': [
                {'number': '240473', 'group': 'loc.gr', 'amocrm_user': 'Ivan Petrov'},
                {'number': '240474', 'group': 'loc.gr'}]}],
            'ecss_widget_settings_dir': str(self.settings_dir),
            'ecss_amocrm_subdomain': fake.subdomain,
            'ecss_amocrm_base_url': fake.url,
            'ecss_amocrm_token': TOKEN,
            # The fake amoCRM speaks plain http: allowed only with certificate checks off.
            'ecss_amocrm_validate_certs': False,
            'ecss_amocrm_legacy_login': LEGACY_LOGIN,
            'ecss_amocrm_legacy_user_hash': LEGACY_HASH,
            'call_history_smoke_phone': SMOKE_PHONE,
        }
        variables.update(overrides)
        self.vars_file = write_secret_file(tmp_path / 'vars.yml', variables)

    def run(self, *args):
        command = [os.path.join(BIN, 'ansible-playbook'), '-i', str(self.inventory),
                   '-e', '@' + str(self.vars_file)] + list(args) + [PLAYBOOK]
        return subprocess.run(command, cwd=str(self.tmp_path), env=ansible_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240, check=False)


def recap(output):
    match = re.search(r'localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', output)
    assert match, output[-3000:]
    return dict(zip(('ok', 'changed', 'unreachable', 'failed'), map(int, match.groups())))


@pytest.fixture
def fake():
    server = FakeAmoCRM(TOKEN, subdomain='ecsstest', legacy_login=LEGACY_LOGIN, legacy_hash=LEGACY_HASH).start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def converged(tmp_path_factory):
    """Two -vvv runs against one fake amoCRM that knows the smoke contact."""
    server = FakeAmoCRM(TOKEN, subdomain='ecsstest', legacy_login=LEGACY_LOGIN, legacy_hash=LEGACY_HASH).start()
    server.add_contact('Known client', '+7 (913) 000-00-01')
    project = Project(tmp_path_factory.mktemp('converged'), server)
    first = project.run('-vvv')
    requests_after_first = len(server.requests)
    calls_after_first = len(server.calls_for(SMOKE_PHONE))
    second = project.run('-vvv')
    yield dict(project=project, fake=server, first=first, second=second,
               requests_after_first=requests_after_first, calls_after_first=calls_after_first)
    server.stop()


def test_first_run_posts_the_smoke_call_and_writes_private_settings(converged):
    first = converged['first']
    assert first.returncode == 0, first.stdout[-4000:]
    assert recap(first.stdout)['changed'] >= 3  # settings dir, two files, smoke call
    assert converged['calls_after_first'] == 1
    note = converged['fake'].calls_for(SMOKE_PHONE)[0]
    assert note['params']['uniq'] == SMOKE_UNIQ and note['note_type'] == 'call_in'
    settings_dir = converged['project'].settings_dir
    for name in (DOMAIN + '.call_history.yml', DOMAIN + '.call_history.md'):
        mode = stat.S_IMODE(os.stat(str(settings_dir / name)).st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert 'is in the history of %s' % SMOKE_PHONE in first.stdout


def test_second_run_changes_nothing_and_posts_nothing(converged):
    second = converged['second']
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap(second.stdout)['changed'] == 0
    assert len(converged['fake'].calls_for(SMOKE_PHONE)) == 1
    later = converged['fake'].requests[converged['requests_after_first']:]
    assert later and all(method == 'GET' for method, _path in later), later


def test_verbose_output_never_shows_the_secrets(converged):
    for run in (converged['first'], converged['second']):
        assert 'ESTABLISH LOCAL CONNECTION' in run.stdout  # really -vvv
        assert TOKEN not in run.stdout
        assert LEGACY_HASH not in run.stdout


def test_rendered_settings_list_rules_in_order_and_say_routing_is_manual(converged):
    settings = yaml.safe_load((converged['project'].settings_dir / (DOMAIN + '.call_history.yml')).read_text())
    rules = settings['routing']['rules']
    assert [r['name'] for r in rules] == ['prevent_amocrm_cycle', 'to_amocrm']
    assert rules[0]['condition'] == {'access': {'interface': 'system:ivr'}}
    assert rules[1]['condition']['cdpn'] == ['240473', '240474']
    assert settings['routing']['applied_by_collection'] is False
    assert settings['amocrm']['account']['subdomain'] == 'ecsstest'
    steps = (converged['project'].settings_dir / (DOMAIN + '.call_history.md')).read_text()
    assert 'MANUAL' in steps and steps.index('prevent_amocrm_cycle') < steps.index('to_amocrm`')
    assert '%CDPN%' in steps and 'Post-Processing' in steps


def _post(url, body, headers, opener=None):
    request = urllib.request.Request(url, data=body.encode('utf-8'), headers=headers, method='POST')
    with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b'null')


def test_rendered_v4_block_works_as_the_ivr_would_send_it(converged):
    """Fill the IVR variables into the rendered block and send it exactly as written."""
    fake = converged['fake']
    settings = yaml.safe_load((converged['project'].settings_dir / (DOMAIN + '.call_history.yml')).read_text())
    (block,) = settings['ivr']['http_rpc_blocks']['v4']
    assert block['method'] == 'POST' and block['url'] == fake.url + '/api/v4/calls'
    body = block['body'].replace('%CGPN%', SMOKE_PHONE).replace('%RECORD_URL%', 'https://rec.example/v4.mp3')
    headers = dict(block['headers'], **{'Content-Type': block['content_type']})
    status, answer = _post(block['url'], body, headers)
    assert status == 200 and answer['errors'] == [], answer
    links = [n['params']['link'] for n in fake.calls_for(SMOKE_PHONE)]
    assert 'https://rec.example/v4.mp3' in links


def test_rendered_legacy_blocks_work_with_the_login_cookie(converged):
    fake = converged['fake']
    settings = yaml.safe_load((converged['project'].settings_dir / (DOMAIN + '.call_history.yml')).read_text())
    login, add_call = settings['ivr']['http_rpc_blocks']['legacy']
    assert login['url'].endswith('/private/api/auth.php') and add_call['url'].endswith('/api/v2/calls/')
    assert login['content_type'] == 'application/x-www-form-urlencoded'
    # The IVR keeps cookies between HTTP RPC blocks; a cookie-keeping opener does the same.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    status, answer = _post(login['url'], login['body'], {'Content-Type': login['content_type']}, opener)
    assert status == 200 and answer['response']['auth'] is True
    body = add_call['body'].replace('%CGPN%', SMOKE_PHONE).replace('%RECORD_URL%', 'https://rec.example/v2.mp3')
    status, answer = _post(add_call['url'], body, {'Content-Type': add_call['content_type']}, opener)
    assert status == 200 and answer['_embedded']['items'], answer
    assert 'https://rec.example/v2.mp3' in [n['params']['link'] for n in fake.calls_for(SMOKE_PHONE)]


def test_check_mode_sends_no_write_to_amocrm_and_writes_no_file(fake, tmp_path):
    project = Project(tmp_path, fake, call_history_smoke_create_contact=True)
    result = project.run('--check', '--diff')
    assert result.returncode == 0, result.stdout[-4000:]
    assert recap(result.stdout)['changed'] >= 1
    assert fake.requests, 'check mode should still read amoCRM'
    assert fake.mutating_requests() == []
    assert fake.contacts == {} and fake.notes == []
    assert not project.settings_dir.exists()
    assert 'would post call %s' % SMOKE_UNIQ in result.stdout
    assert TOKEN not in result.stdout


def test_smoke_contact_is_created_when_asked_then_left_alone(fake, tmp_path):
    project = Project(tmp_path, fake, call_history_smoke_create_contact=True)
    assert project.run().returncode == 0
    assert len(fake.contacts) == 1 and len(fake.calls_for(SMOKE_PHONE)) == 1
    again = project.run()
    assert again.returncode == 0 and recap(again.stdout)['changed'] == 0
    assert len(fake.contacts) == 1 and len(fake.calls_for(SMOKE_PHONE)) == 1


def test_unknown_smoke_contact_fails_with_a_clear_message(fake, tmp_path):
    result = Project(tmp_path, fake).run()
    assert result.returncode != 0
    assert 'none has phone %s' % SMOKE_PHONE in result.stdout
    assert fake.notes == []


def test_wrong_token_fails_early_without_showing_either_token(fake, tmp_path):
    project = Project(tmp_path, fake, ecss_amocrm_token='wrong-token-5a5a5a5a5a')
    result = project.run('-vvv')
    assert result.returncode != 0
    assert '401 Unauthorized' in result.stdout
    assert TOKEN not in result.stdout and 'wrong-token-5a5a5a5a5a' not in result.stdout
    assert not (project.settings_dir / (DOMAIN + '.call_history.yml')).exists()


def run_module(fake, tmp_path, module, args):
    """Ad-hoc module run; the token comes from the environment, not the command line."""
    command = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
               '-e', 'ansible_python_interpreter=' + sys.executable,
               '-m', 'ecss.callapi.' + module, '-a', json.dumps(dict(dict(base_url=fake.url, validate_certs=False), **args))]
    return subprocess.run(command, cwd=str(tmp_path), env=ansible_env({'ECSS_AMOCRM_TOKEN': TOKEN}),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120, check=False)


def test_rate_limit_answers_are_retried(fake, tmp_path):
    fake.inject_429(2)
    result = run_module(fake, tmp_path, 'amocrm_account_info', {})
    assert result.returncode == 0, result.stdout
    assert fake.requests.count(('GET', '/api/v4/account')) == 3
    assert '"subdomain": "ecsstest"' in result.stdout


def test_validation_errors_become_a_readable_failure(fake, tmp_path):
    fake.add_contact('Short number', '1234')
    result = run_module(fake, tmp_path, 'amocrm_call', {'phone': '1234', 'uniq': 'short-1'})
    assert result.returncode != 0
    assert 'field phone: This value is too short' in result.stdout
    assert '(TooShort)' in result.stdout
    assert fake.notes == []


def test_plain_http_with_certificate_checks_on_is_refused_before_any_request(fake, tmp_path):
    """The token never crosses plain http:// silently: only a test server with validate_certs off may."""
    project = Project(tmp_path, fake, ecss_amocrm_validate_certs=True)
    result = project.run('-vvv')
    assert result.returncode != 0
    assert 'is plain http://: the token would be sent unencrypted' in result.stdout
    assert fake.requests == [] and TOKEN not in result.stdout
