"""Statement groups: the structure of a program that the page folds and unfolds.

Every statement that makes gates is a group: its gates (and the constants they use), its
title the statement as written (`h1 = sigmoid(w1*i1 + w2*i2 + b1)`), its output the
node it names. The language has no blocks, so the only nesting a program can state is
the one its comments already give it: a comment on a line of its own is a heading, and
the statements after it, up to the next heading of the same or a higher level, form a
section titled by it. The level is the count of `#`s, as in Markdown:

    # layer 1               ← a section
    ## neuron 1             ← a section inside it
    h1_1 = relu(b1 + w1*x)  ← a statement group inside that

An input bound in a section (`w1 = 0.5` under `# the weights`) belongs to the section;
an input nobody binds belongs to no group. A comment after code on its line is not a
heading; a heading with nothing under it makes no group.

`groups(graph)` gives the groups in program order, JSON-ready, and each node's innermost
group. Linear in the nodes and edges: 65,000 gates take a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.graph import Graph

FOLD_FROM = 300  # gates from which an answer with groups opens folded (no whole layout)
TITLE_CHARS = 200  # a longer statement's title is cut, with … (the line keeps it whole)


@dataclass
class _Group:
    kind: str  # "section" or "statement"
    title: str
    line: int
    level: int  # a section's heading level (1 for #); a statement's is its section's + 1
    parent: int | None = None
    output: int | None = None
    nodes: int = 0  # nodes under it, its child groups' too
    gates: int = 0  # of them, gates (neither input nor constant)
    outside: set[int] = field(default_factory=set)  # its nodes used outside it


def _headings(source: str) -> list[tuple[int, int, str]]:
    """(line, level, text) of every comment line that is a heading."""
    found = []
    for number, text in enumerate(source.split("\n"), start=1):
        stripped = text.strip()
        if not stripped.startswith("#"):
            continue
        title = stripped.lstrip("#")
        level = len(stripped) - len(title)
        title = title.strip()
        if title:
            found.append((number, level, title))
    return found


def _text(lines: list[str], span: Any) -> str:
    """The source text of a span, its lines joined by a space."""
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1:]]
    parts.extend(lines[k - 1] for k in range(span.line + 1, span.end_line))
    parts.append(lines[span.end_line - 1][:span.end_column - 1])
    return " ".join(p.strip() for p in parts)


def _cut(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…"


def groups(graph: Graph) -> tuple[list[dict[str, Any]], list[str | None]]:
    """The program's groups (sections and statements, in program order) and, per node,
    the id of the innermost group it belongs to (None: no group).

    Each group is `{"id", "kind", "title", "line", "parent", "output", "nodes",
    "gates"}`: `output` is the node a statement names; for a section, its one node used
    outside it (or the program's output, when that is inside), else None.
    """
    source = graph.source
    lines = source.split("\n")
    nodes = graph.nodes
    found: list[_Group] = []
    # sections: a stack of the headings open at each line
    heads = _headings(source)
    section_at: dict[int, int] = {}  # heading index -> group index
    owner: list[int | None] = [None] * (len(lines) + 2)  # line -> innermost open section
    stack: list[int] = []
    cursor = 0
    for number in range(1, len(lines) + 1):
        if cursor < len(heads) and heads[cursor][0] == number:
            _, level, title = heads[cursor]
            while stack and found[stack[-1]].level >= level:
                stack.pop()
            found.append(_Group("section", _cut(title), number, level,
                                stack[-1] if stack else None))
            section_at[cursor] = len(found) - 1
            stack.append(len(found) - 1)
            cursor += 1
        owner[number] = stack[-1] if stack else None
    # statements: each gate named (or the output) closes the statement of the gates since
    # the last one; inputs bound by a statement go to the section of their line
    group_of: list[int | None] = [None] * len(nodes)
    pending: list[int] = []
    for node in nodes:
        if node.op == "input":
            if graph.defaults[node.id] is not None and node.span is not None:
                group_of[node.id] = owner[node.span.line]
            continue
        pending.append(node.id)
        if node.op == "const" or (node.name is None and node.id != graph.output):
            continue
        span = node.span
        line = span.line if span is not None else 1
        text = _text(lines, span) if span is not None else node.label
        title = f"{node.name} = {text}" if node.name else text
        section = owner[line] if line < len(owner) else None
        level = found[section].level + 1 if section is not None else 1
        found.append(_Group("statement", _cut(title), line, level, section, output=node.id))
        for k in pending:
            group_of[k] = len(found) - 1
        pending = []
    # counts, from each node up through its group's ancestors
    for k, at in enumerate(group_of):
        gate = nodes[k].op not in ("input", "const")
        while at is not None:
            found[at].nodes += 1
            found[at].gates += gate
            at = found[at].parent
    # a section's output: its one node used outside it
    within: list[frozenset[int]] = []  # each group and its ancestors
    for k, g in enumerate(found):
        within.append(frozenset([k]) | (within[g.parent] if g.parent is not None else frozenset()))
    nowhere: frozenset[int] = frozenset()
    for node in nodes:
        user = group_of[node.id]
        chain = within[user] if user is not None else nowhere
        for source_id in node.inputs:
            at = group_of[source_id]
            while at is not None and at not in chain:
                if found[at].kind == "section":
                    found[at].outside.add(source_id)
                at = found[at].parent
    out_at = group_of[graph.output]
    while out_at is not None:
        if found[out_at].kind == "section":
            found[out_at].outside.add(graph.output)
        out_at = found[out_at].parent
    for g in found:
        if g.kind == "section" and len(g.outside) == 1:
            g.output = next(iter(g.outside))
    # sections with nothing under them are no groups: renumber the rest
    keep = sorted((k for k, g in enumerate(found) if g.nodes), key=lambda k: found[k].line)
    new_id = {k: f"g{i}" for i, k in enumerate(keep)}
    listed = []
    for k in keep:
        g = found[k]
        parent = g.parent
        listed.append({"id": new_id[k], "kind": g.kind, "title": g.title, "line": g.line,
                       "parent": None if parent is None else new_id[parent],
                       "output": None if g.output is None else nodes[g.output].key,
                       "nodes": g.nodes, "gates": g.gates})
    return listed, [None if g is None else new_id[g] for g in group_of]


def add_groups(body: dict[str, Any], graph: Graph, fold: bool) -> None:
    """Put the groups into an answer of `graph` (app/pipeline.py): `groups`, each node's
    `group`, and `folded` (the answer has no `layout` when true)."""
    listed, group_of = groups(graph)
    body["groups"] = listed
    body["folded"] = fold
    for node, group in zip(body["nodes"], group_of, strict=True):
        node["group"] = group


def add_group_columns(body: dict[str, Any], graph: Graph, fold: bool) -> None:
    """`add_groups` for an answer in the columns form (app/scalar_columns.py): each node's
    group is the nodes' `group` column, as app/columns.py writes a field it does not know."""
    listed, group_of = groups(graph)
    body["groups"] = listed
    body["folded"] = fold
    body["nodes"]["group"] = group_of


def folded(graph: Graph) -> bool:
    """Whether an answer with groups opens folded: more than FOLD_FROM gates (of the
    circuit as written: drawing composite gates as primitives folds nothing more)."""
    return sum(op not in ("input", "const") for op in graph.ops) > FOLD_FROM
