"""The test suite. Importing this package (which pytest does before any conftest or test
module, so before anything imports app.main) sets how the in-process app is served.

The ASGI TestClient sends `Host: testserver` from the client "testclient": the app
allows that name, and has no per-client rate limit, for this test session only — the
defaults (loopback names only, 30/300 a client) are what a served app gets, and
tests/test_serving.py checks them with apps and servers of its own.
"""

import os

os.environ.setdefault("BACKPROP_LAB_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("BACKPROP_LAB_RATE_LIMIT", "off")
