"""The test suite's settings: production's, with what only tests need."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-suite-only-not-a-secret")

from .settings import *  # noqa: E402, F403

# The tests render pages without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests log in without a password (force_login); the few that hash one hash fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files come from the apps' folders, not from a collectstatic run.
WHITENOISE_AUTOREFRESH = True
# Uploads (imports) go to a folder of their own, not into the project's.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="essaim-test-media-"))
# Tests download the exports many times a minute; test_exports sets a limit to test it.
EXPORT_RATE_LIMIT = None
# Most tests write without committing, so the directory version stays and a cached page
# would hide their writes; tests/test_page_cache.py turns the page cache on.
CACHE_PAGES = False
# Tests post the contribution forms at once and many times: test_contributions sets these.
PROPOSAL_RATE_LIMIT = None
CORRECTION_RATE_LIMIT = None
CONTRIBUTION_MIN_SECONDS = 0
