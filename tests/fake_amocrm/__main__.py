"""Run the fake amoCRM by hand: ``python -m fake_amocrm --port 8099`` (PYTHONPATH=tests).

The token is read from the file named by --token-file (mode 0600 recommended) so it never
appears on a command line.
"""

import argparse
import time

from .server import ECSS_WIDGET_CODE, FakeAmoCRM


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--port', type=int, default=8099)
    parser.add_argument('--token-file', required=True)
    parser.add_argument('--subdomain', default='ecsstest')
    parser.add_argument('--contact', action='append', default=[], metavar='PHONE=NAME',
                        help='pre-create a contact (repeatable)')
    parser.add_argument('--user-token-file', help='a second token, of a user who is no administrator')
    parser.add_argument('--user', action='append', default=[], metavar='NAME=EMAIL',
                        help='add an amoCRM user (repeatable)')
    parser.add_argument('--widget', action='store_true',
                        help='offer the ECSS-10 widget (code %s) for installation' % ECSS_WIDGET_CODE)
    args = parser.parse_args()
    with open(args.token_file) as handle:
        token = handle.read().strip()
    user_token = None
    if args.user_token_file:
        with open(args.user_token_file) as handle:
            user_token = handle.read().strip()
    fake = FakeAmoCRM(token, subdomain=args.subdomain, user_token=user_token)
    for item in args.user:
        name, _sep, email = item.partition('=')
        fake.add_user(name, email)
    if args.widget:
        fake.add_widget()
    for item in args.contact:
        phone, _sep, name = item.partition('=')
        fake.add_contact(name or 'Contact', phone)
    fake.start(port=args.port)
    print('fake amoCRM listening on %s' % fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == '__main__':
    main()
