"""The packed columns (`"arrays": "base64"`, app/packed.py) are the plain columns answer,
number for number and bit for bit: `unpack` of the packed answer gives the plain one,
the same JSON bytes, on every preset, on the differential oracle's random programs
(scalars and tensors, with the teaching tools), on the corners a float can be (NaN, ±∞,
−0.0, the smallest subnormal, the largest float) and on big circuits; the answer written
straight from the evaluation is `pack` of the plain one, byte for byte; and a packed
answer is smaller."""

from __future__ import annotations

import base64
import json
import random
import struct

import numpy as np
import orjson
import pytest

from app.api.schemas import GraphAnswer, GraphColumnsResponse
from app.cli.main import main as cli
from app.engine import evaluate
from app.examples import EXAMPLES
from app.micrograd_demo import demo_program
from app.packed import floats, ints, numbers, pack, pack_column, unpack, unpack_column
from app.pipeline import Options, circuit, graph_response
from app.scalar_columns import applies, scalar_columns
from bench.programs import chain, neuron_network
from tests import oracle
from tests.helpers import assert_error, strict_json

COLUMNS = Options(columns=True)
PACKED = Options(columns=True, packed=True)


def same(packed: dict, plain: dict) -> None:
    """The packed answer, through JSON and unpacked, is the plain one: the same bytes
    (orjson writes each float as the shortest text that reads back to its bits)."""
    body = orjson.loads(orjson.dumps(packed))
    assert orjson.dumps(unpack(body)) == orjson.dumps(plain)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_every_preset_unpacks_to_its_columns(client, example) -> None:
    base = {"source": example["source"], "expand": example.get("expand", False),
            "format": "columns"}
    plain = client.post("/api/graph", json=base)
    packed = client.post("/api/graph", json={**base, "arrays": "base64"})
    assert packed.status_code == plain.status_code == 200
    body = strict_json(packed.text)
    GraphColumnsResponse.model_validate(body)
    GraphAnswer.model_validate(body)
    assert orjson.dumps(unpack(body)) == orjson.dumps(strict_json(plain.text))


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_unpack_to_their_columns(seed: int) -> None:
    """Scalar programs take the direct path, tensor programs `pack` of `to_columns`."""
    program = oracle.generate(seed)
    seed_value = None if program.seed is None else program.seed.tolist()
    plain = graph_response(program.source, program.values, seed_value, options=COLUMNS)
    packed = graph_response(program.source, program.values, seed_value, options=PACKED)
    same(packed, plain)
    GraphColumnsResponse.model_validate(orjson.loads(orjson.dumps(packed)))


@pytest.mark.parametrize("extra", [
    {"expand": True, "check": True},
    {"groups": True},
    {"lr": 0.1, "code": True},
    {"full_trace": True},
])
def test_the_teaching_tools_unpack_too(extra) -> None:
    source = "x = 0.5\nw = -1.5\nh = sigmoid(x * w)\nf = tanh(h) * h + 0.1"
    columns = graph_response(source, options=Options(**{**extra, "columns": True}))
    packed = graph_response(source, options=Options(**{**extra, "columns": True,
                                                        "packed": True}))
    same(packed, columns)


@pytest.mark.parametrize("source", [demo_program(3), neuron_network(400)],
                         ids=["demo", "neurons"])
def test_a_folded_answer_packs_with_its_groups(source: str) -> None:
    """The page's ask for a long program (columns, groups, folded) packed: the same as its
    columns unpacked, the nodes' group column packed with the rest, no layout."""
    options = {"groups": True, "check": True}
    columns = graph_response(source, options=Options(columns=True, **options))
    packed = graph_response(source, options=Options(columns=True, packed=True, **options))
    assert packed["folded"] is True and "layout" not in packed
    assert "categories" in packed["nodes"]["group"]  # group ids, each written once
    same(packed, columns)


@pytest.mark.parametrize("source, values", [
    ("f = log(x) * y + 1 / z", {"x": 0, "y": 2, "z": 0}),  # -inf, inf, NaN, warnings
    ("f = exp(x) * 0", {"x": 1000}),  # inf * 0 = NaN
    ("q = x * 0\nf = q / q", {"x": 1}),  # 0/0
    ("f = x * -0.0 + y", {"x": 3, "y": -0.0}),  # signed zeros
    ("f = x * y", {"x": 5e-324, "y": 1.7976931348623157e308}),  # the extremes
    ("f = 2 * 3 + 1", None),  # nothing requires a gradient
    ("x = 3", None),  # the output is an input
    ("f = sum(x) * 2 + mean(y) + sum(x * y) ^ 2", {"x": 3, "y": 2}),  # no local derivative
    ("X = [[1, 2], [3, 4]]\nf = sum(sigmoid(X @ X) * 0.1)", None),  # tensors
])
def test_the_corners_unpack_to_the_same_bits(source: str, values) -> None:
    plain = graph_response(source, values, options=COLUMNS)
    same(graph_response(source, values, options=PACKED), plain)


def direct_and_generic(source: str) -> tuple[bytes, bytes]:
    ev = evaluate(circuit(source))
    assert applies(ev)
    return (orjson.dumps(scalar_columns(ev, packed=True)),
            orjson.dumps(pack(scalar_columns(ev))))


SCALAR_PRESETS = [e for e in EXAMPLES if applies(evaluate(circuit(e["source"])))]


@pytest.mark.parametrize("example", SCALAR_PRESETS, ids=[e["id"] for e in SCALAR_PRESETS])
def test_the_direct_packing_is_pack_of_the_columns(example) -> None:
    direct, generic = direct_and_generic(example["source"])
    assert direct == generic


@pytest.mark.parametrize("source", [chain(4_000), neuron_network(4_000), demo_program(3)],
                         ids=["chain", "neurons", "demo"])
def test_big_circuits_pack_the_same_and_unpack(source: str) -> None:
    """Batched gates, a layout past the cache (its arrays, not its lists), many bends."""
    direct, generic = direct_and_generic(source)
    assert direct == generic
    same(orjson.loads(direct), graph_response(source, options=COLUMNS))


def test_a_long_chain_is_under_200_bytes_a_gate() -> None:
    """The README's figure: a 100,000-gate chain packed in about 180 bytes a gate, the
    JSON lists in about 275 (this chain is a tenth as long, the same per gate)."""
    source = chain(10_000)
    packed = orjson.dumps(graph_response(source, options=PACKED))
    plain = orjson.dumps(graph_response(source, options=COLUMNS))
    assert len(packed) / 10_000 <= 200
    assert len(packed) <= 0.7 * len(plain)


@pytest.mark.parametrize("source", [chain(50), neuron_network(50)], ids=["chain", "neurons"])
def test_fifty_gates_pack_a_quarter_smaller(source: str) -> None:
    packed = orjson.dumps(graph_response(source, options=PACKED))
    plain = orjson.dumps(graph_response(source, options=COLUMNS))
    assert len(packed) <= 0.8 * len(plain)


# ---------------------------------------------------------------- the packer itself


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@pytest.mark.parametrize("seed", range(20))
def test_floats_round_trip_bit_for_bit(seed: int) -> None:
    rng = random.Random(seed)
    pools = [
        lambda: rng.randrange(-10**6, 10**6) / 10,  # tenths: a layout's coordinates
        lambda: round(rng.uniform(-5, 5), 3),  # three decimals: 0.999
        lambda: rng.uniform(-1e6, 1e6),  # anything
        lambda: float(rng.randrange(-2**31, 2**32)),  # whole floats at int32/uint32's ends
        lambda: rng.choice([0.0, -0.0, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3,
                            2.0**32, -(2.0**31) - 1, 1e-7]),
    ]
    for pool in pools:
        xs = [pool() for _ in range(rng.randrange(1, 300))]
        packed = floats(np.array(xs))
        back = unpack_column(orjson.loads(orjson.dumps(packed)))
        assert [bits(x) for x in back] == [bits(x) for x in xs], packed.get("scale")


def test_tenths_and_decimals_pack_as_scaled_whole_numbers() -> None:
    assert floats([40.0, 110.0, 75.5])["scale"] == 10
    assert floats([1.0, 0.999, 1.0])["scale"] == 1000
    assert floats([40.0, 180.0])["scale"] == 1
    assert floats([40.0, 180.0])["dtype"] == "uint8"
    assert floats([1 / 3, 0.5])["dtype"] == "float64"
    assert floats([-0.0, 1.0])["dtype"] == "float64"  # 0 / s would lose the sign
    assert floats([float("nan"), 1.0])["dtype"] == "float64"


def test_whole_numbers_take_the_narrowest_type() -> None:
    for values, dtype in [([0, 255], "uint8"), ([-1, 127], "int8"), ([0, 256], "uint16"),
                          ([-1, 200], "int16"), ([0, 70_000], "uint32"),
                          ([-1, 70_000], "int32")]:
        packed = ints(values)
        assert packed["dtype"] == dtype
        assert numbers(packed).tolist() == values
    with pytest.raises(ValueError):
        ints([-1, 2**32])
    assert pack_column([0, 2**40]) == [0, 2**40]  # left as it is


def test_nan_and_infinities_come_back_as_their_strings() -> None:
    column = ["NaN", 1.5, "Infinity", None, "-Infinity", -0.0]
    packed = pack_column(column)
    assert packed["dtype"] == "float64"
    raw = np.frombuffer(base64.b64decode(packed["data"]), "<f8")
    assert raw.view("<u8")[0] == 0x7FF8000000000000  # the one NaN
    back = unpack_column(packed)
    assert back[:5] == column[:5] and bits(back[5]) == bits(-0.0)


@pytest.mark.parametrize("column", [
    [[1, 2, 3, 4], [5, 6, 7, 8]],  # a span: rows
    [[], [1.5, 2.5], None, [3.0]],  # bends and nulls: ragged
    [[], [], []],  # shapes of scalars
    [[1.0, "NaN"], [2.0, 3.0]],  # factors
    ["input", "input", "add", "input", "mul", "mul"],  # categories
    ["a", "b", None],  # strings worth no categories
    [None, None],  # only nulls
    [[[1, 2]], [[3, 4]]],  # nested lists: as they are
    [1, 2.0],  # mixed kinds: as they are
    [True, False],  # booleans: as they are
    [{}, {"axis": 0}],  # objects: as they are
    {"at": [0, 3], "values": [0.5, "NaN"], "else": []},  # sparse
])
def test_columns_of_every_kind_round_trip(column) -> None:
    packed = orjson.loads(orjson.dumps(pack_column(column)))
    assert orjson.dumps(unpack_column(packed)) == orjson.dumps(column)


# ---------------------------------------------------------------- the request and the CLI


@pytest.mark.parametrize("body", [
    {"source": "f = x * 2", "values": {"x": 1}, "format": "columns", "arrays": "gzip"},
    {"source": "f = x * 2", "values": {"x": 1}, "format": "columns", "arrays": 64},
    {"source": "f = x * 2", "values": {"x": 1}, "format": "columns", "arrays": None},
    {"source": "f = x * 2", "values": {"x": 1}, "arrays": "base64"},  # needs columns
    {"source": "f = x * 2", "values": {"x": 1}, "format": "objects", "arrays": "base64"},
])
def test_a_bad_arrays_value_is_a_422_in_the_envelope(client, body) -> None:
    error = assert_error(client.post("/api/graph", json=body), 422, "request")
    assert "arrays" in json.dumps(error)


def test_json_arrays_is_the_plain_columns_answer(client) -> None:
    base = {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4},
            "format": "columns"}
    assert (client.post("/api/graph", json={**base, "arrays": "json"}).content
            == client.post("/api/graph", json=base).content)


def test_the_cli_prints_the_packed_answer(capsys) -> None:
    args = ["eval", "f = (x + y) * z", "x=-2", "y=5", "z=-4"]
    assert cli([*args, "--columns"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert cli([*args, "--base64"]) == 0
    packed = json.loads(capsys.readouterr().out)
    assert packed["nodes"]["value"]["scale"] == 1  # whole numbers here
    assert unpack(packed) == plain
    assert cli([*args, "--columns", "--base64"]) == 0
    assert json.loads(capsys.readouterr().out) == packed
