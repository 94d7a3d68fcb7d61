"""The circuit language: source text in, statements out, errors with line and column."""

from app.lang.parser import parse
from app.lang.syntax import Program, to_sexpr

__all__ = ["parse", "Program", "to_sexpr"]
