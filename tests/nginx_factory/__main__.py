import sys

from nginx_factory.cli import main

sys.exit(main())
