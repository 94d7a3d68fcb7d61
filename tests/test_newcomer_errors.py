"""Mistakes a newcomer makes, answered where the mistake is (issue 14).

An unclosed bracket is pointed at where it opens, not at the end of the program where the
parser gave up; a name one typo away from a name the program has gets "did you mean".
"""

from __future__ import annotations

import pytest

from tests.helpers import assert_error


@pytest.mark.parametrize(("source", "line", "column", "bracket"), [
    ("f = (x + y * z", 1, 5, "("),
    ("f = sigmoid(x + 1", 1, 12, "("),
    ("a = [1, 2\nf = sum(a)", 1, 5, "["),
    ("q = (x +\n  y\nf = q * 2", 1, 5, "("),
])
def test_an_unclosed_bracket_is_pointed_at_where_it_opens(client, source, line, column,
                                                          bracket):
    response = client.post("/api/graph", json={"source": source,
                                               "values": {"x": 1, "y": 2, "z": 3}})
    error = assert_error(response, 400, "syntax")
    assert (error["line"], error["column"]) == (line, column)
    assert error["key"] == "unclosed" and error["args"]["open"] == bracket
    assert "never closed" in error["message"]


def test_a_stray_token_inside_brackets_is_still_pointed_at(client):
    error = assert_error(client.post("/api/graph", json={"source": "f = (x + y z)",
                                                         "values": {"x": 1, "y": 2, "z": 3}}),
                         400, "syntax")
    assert (error["line"], error["column"]) == (1, 12)


def test_a_mistyped_name_gets_did_you_mean(client):
    error = assert_error(client.post("/api/graph", json={"source": "z = 1\nf = zz * 2"}),
                         400, "missing_value")
    assert error["args"]["names"] == ["zz"]
    assert error["args"]["suggestions"] == {"zz": "z"}
    assert "did you mean 'z'?" in error["message"]
    plain = assert_error(client.post("/api/graph", json={"source": "f = a * b"}),
                         400, "missing_value")
    assert plain["args"]["suggestions"] == {}
