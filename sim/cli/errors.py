"""Turn bad input into a clear message naming the field and value, and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
import yaml
from pydantic import ValidationError

from optimize.errors import InvalidInput

__all__ = ["EXIT_BAD_INPUT", "bad_input_exits", "format_validation_error"]

EXIT_BAD_INPUT = 2


def _loc_to_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(root)"


def format_validation_error(err: ValidationError) -> list[str]:
    """One line per problem: `path: message, got value`."""
    lines = []
    for e in err.errors():
        # pydantic puts the model/function name in loc for some validators; keep field names.
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        value = e.get("input")
        shown = "" if e["type"] == "missing" else f", got {value!r}"
        if isinstance(value, dict) and e["type"] != "extra_forbidden":
            shown = ""
        lines.append(f"{_loc_to_path(loc)}: {msg}{shown}")
    return lines


@contextmanager
def bad_input_exits(source: str = "") -> Iterator[None]:
    """Catch input errors, print each problem on stderr, exit with code 2."""
    prefix = f"{source}: " if source else ""
    try:
        yield
    except ValidationError as err:
        lines = format_validation_error(err)
    except InvalidInput as err:
        lines = [str(p) for p in err.problems]
    except yaml.YAMLError as err:
        lines = [f"not valid YAML: {err}"]
    except FileNotFoundError as err:
        lines = [f"file not found: {err.filename}"]
    else:
        return
    n = len(lines)
    print(f"error: {prefix}{n} problem{'s' if n != 1 else ''} in the input", file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    raise typer.Exit(EXIT_BAD_INPUT)
