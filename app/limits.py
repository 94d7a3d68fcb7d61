"""The documented limits that keep one request cheap to refuse.

Every limit answers 400 `too_large` when crossed (the body cap answers 413).
A 5 KB program can ask for a huge answer (nineteen 316×316 products, each with its
value and gradient), so besides what a request may contain, `max_response_numbers`
bounds what its answer may contain.
Tests and the benchmark pass their own `Limits` where they need bigger graphs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_source_chars: int = 100_000
    max_nodes: int = 20_000
    max_depth: int = 64
    max_tensor_elements: int = 100_000
    max_total_elements: int = 2_000_000
    max_body_bytes: int = 1_000_000
    # The numbers an answer may hold (each node's value and gradient, the backward steps'
    # numbers), counted from the shapes before anything is computed: it bounds what is
    # written, the memory a request takes and the time it takes to write it.
    max_response_numbers: int = 1_000_000

    def __post_init__(self) -> None:
        # The parser recurses a few frames per nesting level; stay far from Python's limit.
        if not 1 <= self.max_depth <= 100:
            raise ValueError("max_depth must be between 1 and 100")


DEFAULT_LIMITS = Limits()
