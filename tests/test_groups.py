"""Statement groups (issue 15, "structure you can fold"): POST /api/graph with `groups`.

Each statement that makes gates is a group titled by its line; heading comments (`#`,
`##` on a line of their own) make sections that hold them; a big circuit's answer comes
folded, without the whole layout."""

from __future__ import annotations

from app.api.schemas import GraphColumnsResponse, GraphResponse
from app.columns import from_columns
from app.groups import FOLD_FROM
from app.micrograd_demo import demo_program
from bench.programs import neuron_network

MAZUR = """# inputs
i1 = 0.05
i2 = 0.1
# the hidden layer
## neuron 1
h1 = sigmoid(w1*i1 + w2*i2 + b1)
## neuron 2
h2 = sigmoid(w3*i1 + w4*i2 + b1)
# the output
E = 0.5*(t - h1*h2)^2  # a trailing comment is no heading
"""
VALUES = {"w1": 0.15, "w2": 0.2, "w3": 0.25, "w4": 0.3, "b1": 0.35, "t": 0.5}


def grouped(client, source: str, values: dict | None = None, **extra) -> dict:
    values = VALUES if values is None else values
    response = client.post("/api/graph", json={"source": source, "values": values,
                                               "groups": True, **extra})
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_a_statement_is_a_group_titled_by_its_line_holding_its_gates(client) -> None:
    body = grouped(client, MAZUR)
    GraphResponse.model_validate(body)
    nodes = {n["id"]: n for n in body["nodes"]}
    statements = [g for g in body["groups"] if g["kind"] == "statement"]
    assert [g["title"] for g in statements] == [
        "h1 = sigmoid(w1*i1 + w2*i2 + b1)", "h2 = sigmoid(w3*i1 + w4*i2 + b1)",
        "E = 0.5*(t - h1*h2)^2"]
    assert [g["line"] for g in statements] == [6, 8, 10]
    h1 = statements[0]
    assert nodes[h1["output"]]["name"] == "h1"
    members = [n for n in body["nodes"] if n["group"] == h1["id"]]
    # w1*i1, w2*i2, two adds, sigmoid: its gates, none of its inputs
    assert sorted(n["op"] for n in members) == ["add", "add", "mul", "mul", "sigmoid"]
    assert h1["gates"] == 5 and h1["nodes"] == 5
    assert all(n["span"]["line"] == 6 for n in members)
    # the output's statement holds its constants too
    e = statements[2]
    assert {n["op"] for n in body["nodes"] if n["group"] == e["id"]} >= {"const", "pow", "mul"}


def test_heading_comments_nest_sections_and_bound_inputs_belong_to_them(client) -> None:
    body = grouped(client, MAZUR)
    by_id = {g["id"]: g for g in body["groups"]}
    sections = {g["title"]: g for g in body["groups"] if g["kind"] == "section"}
    assert list(sections) == ["inputs", "the hidden layer", "neuron 1", "neuron 2", "the output"]
    assert sections["neuron 1"]["parent"] == sections["the hidden layer"]["id"]
    assert sections["the hidden layer"]["parent"] is None
    h1 = next(g for g in body["groups"] if g["title"].startswith("h1 ="))
    assert by_id[h1["parent"]]["title"] == "neuron 1"
    # i1 and i2 are bound under "# inputs"; w1 … are given in the request: no group
    nodes = {n["name"]: n for n in body["nodes"] if n["op"] == "input"}
    assert nodes["i1"]["group"] == nodes["i2"]["group"] == sections["inputs"]["id"]
    assert nodes["w1"]["group"] is None
    # counts include nested groups; a section's output is its one node used outside it
    assert sections["the hidden layer"]["gates"] == 10
    assert sections["neuron 1"]["output"] == h1["output"]
    assert sections["the hidden layer"]["output"] is None  # h1 and h2 both leave it
    assert sections["inputs"]["gates"] == 0 and sections["inputs"]["nodes"] == 2
    assert sections["the output"]["output"] == body["output"]
    assert not body["folded"] and "layout" in body


def test_groups_are_only_given_when_asked_and_change_no_number(client) -> None:
    plain = client.post("/api/graph", json={"source": MAZUR, "values": VALUES}).json()
    body = grouped(client, MAZUR)
    assert "groups" not in plain and all("group" not in n for n in plain["nodes"])
    strip = [{k: v for k, v in n.items() if k != "group"} for n in body["nodes"]]
    assert strip == plain["nodes"] and body["steps"] == plain["steps"]
    assert body["layout"] == plain["layout"]


def test_a_big_circuit_comes_folded_without_its_layout_in_both_forms(client) -> None:
    source = neuron_network(2 * FOLD_FROM)
    body = grouped(client, source, {})
    GraphResponse.model_validate(body)
    assert body["folded"] and "layout" not in body
    assert all(g["kind"] == "statement" and g["parent"] is None for g in body["groups"])
    assert body["groups"][0]["title"].startswith("h0_0 = sigmoid(")
    small = grouped(client, neuron_network(FOLD_FROM // 2), {})
    assert not small["folded"] and "layout" in small
    columns = client.post("/api/graph", json={"source": source, "groups": True,
                                              "format": "columns"}).json()
    GraphColumnsResponse.model_validate(columns)
    assert "layout" not in columns
    assert from_columns(columns) == body


def test_the_demo_network_folds_into_its_layers_neurons_and_statements() -> None:
    from app.pipeline import Options, graph_response

    body = graph_response(demo_program(), options=Options(groups=True, columns=True))
    assert body["folded"] and "layout" not in body
    groups = body["groups"]
    top = [g["title"] for g in groups if g["parent"] is None]
    assert top == ["the weights and biases", "the points", "layer 1: 16 relu neurons",
                   "layer 2: 16 relu neurons", "the scores: the output neuron",
                   "the margins: relu(1 − y·s)", "the loss: mean margin + L2"]
    by_id = {g["id"]: g for g in groups}
    layer1 = next(g for g in groups if g["title"] == "layer 1: 16 relu neurons")
    neurons = [g for g in groups if g["parent"] == layer1["id"]]
    assert [g["title"] for g in neurons] == [f"neuron {j} of layer 1" for j in range(1, 17)]
    points = [g for g in groups if g["parent"] == neurons[0]["id"]]
    assert len(points) == 100
    assert points[0]["title"] == "h1_1_1 = relu(b1_1 + w1_1_1*x1_1 + w1_1_2*x1_2)"
    assert all(by_id[p["parent"]]["kind"] == "section" for p in points)
    gates = sum(op not in ("input", "const") for op in body["nodes"]["op"])
    assert sum(g["gates"] for g in groups if g["parent"] is None) == gates
    loss = groups[-1]
    assert loss["title"] == "loss = data_loss + reg_loss" and loss["output"] == f"n{body['output']}"


def test_a_bad_groups_field_is_a_request_error(client) -> None:
    response = client.post("/api/graph", json={"source": "f = x", "groups": "yes"})
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "request"
