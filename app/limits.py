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
    # A 100,000-gate scalar program (a chain written two gates a line, ~1 MB; micrograd's
    # demo network unrolled, 64,000 gates in 0.64 MB) fits, with its answer.
    max_source_chars: int = 2_000_000
    max_nodes: int = 250_000
    max_depth: int = 64
    max_tensor_elements: int = 100_000
    max_total_elements: int = 2_000_000
    max_body_bytes: int = 4_000_000  # the longest program, JSON-escaped, and its values
    # The numbers an answer may hold (each node's value and gradient, the backward steps'
    # numbers), counted from the shapes before anything is computed: it bounds what is
    # written, the memory a request takes and the time it takes to write it.
    # 1,400,002 for a 100,000-gate chain; eight chained 316×316 matrix products (1.8
    # million, from a 5 KB program) stay out.
    max_response_numbers: int = 1_500_000

    def __post_init__(self) -> None:
        # The parser recurses a few frames per nesting level; stay far from Python's limit.
        if not 1 <= self.max_depth <= 100:
            raise ValueError("max_depth must be between 1 and 100")


DEFAULT_LIMITS = Limits()
