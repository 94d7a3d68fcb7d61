"""Random input never breaks the server: a 4xx envelope or a 200, always valid JSON."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import assert_error, strict_json

TOKENS = ["x", "y", "W", "f", "=", "+", "-", "*", "/", "^", "**", "@", "(", ")", "[", "]", ",",
          ";", "\n", "1", "0", "2.5", "-3", "1e308", "sigmoid", "max", "sum", "exp", "log",
          "sqrt", "relu", "transpose", ".", "'", "lambda", "__class__", "＋", "（", "#", " "]


VALUES = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                   st.just([1.0, 2.0]), st.just([[1.0], [2.0]]))
SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW_OK)
@given(soup=st.lists(st.sampled_from(TOKENS), max_size=25), x=VALUES)
def test_token_soup_never_fails_the_server(client, soup, x) -> None:
    source = "".join(soup)
    response = client.post("/api/graph", json={"source": source,
                                               "values": {"x": x, "y": 2, "W": [[1, 2]]}})
    if response.status_code == 200:
        body = strict_json(response.text)
        assert body["nodes"]
        return
    error = assert_error(response, 400, response.json()["error"]["type"])
    lines = source.split("\n")
    if error["line"] is not None:
        assert 1 <= error["line"] <= len(lines)
        assert 1 <= error["column"] <= len(lines[error["line"] - 1]) + 1
