"""A real headless browser (Debian's chromium, driven by Playwright) on the page served
by the real servers. A missing browser or Playwright fails the tests; it never skips them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.integration.conftest import assistant  # noqa: F401  (the real servers)

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = ("install Debian's chromium (apt-get install chromium) and the Python "
                "packages (pip install -r requirements.txt -c constraints.txt)")


@pytest.fixture(scope="module")
def browser() -> Iterator["object"]:
    """Chromium for one test module. Not longer: while Playwright's sync API runs, its
    event loop counts as running, and other tests' asyncio.run() would fail."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        pytest.fail(f"Playwright is not installed ({missing}): {INSTALL_HINT}", pytrace=False)
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        pytest.fail(f"No chromium at {CHROMIUM}: {INSTALL_HINT}", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), headless=True,
                                              args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def chat_url(assistant) -> str:  # noqa: F811
    return f"http://127.0.0.1:{assistant.rasa_port}/webhooks/webchat/"
