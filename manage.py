#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Commands (migrations, imports) may run statements longer than a web request may.
    os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "3600")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
