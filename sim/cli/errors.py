"""Turn bad input into a clear message naming the field and value, and a non-zero exit.

Also the small checks every command shares: input files that are text files, numbers in
range (the message names the option and the user's value), and stdout kept for the JSON
under `--json` while a solver writes its own lines.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import difflib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import yaml
from pydantic import BaseModel, ValidationError

from optimize.errors import FieldProblem, InvalidInput

__all__ = [
    "EXIT_BAD_INPUT",
    "SuggestingGroup",
    "at_least",
    "bad_input_exits",
    "did_you_mean",
    "existing_file",
    "format_problem",
    "format_validation_error",
    "input_file",
    "plain",
    "solver_output_to_stderr",
]

EXIT_BAD_INPUT = 2
_SNIFF_BYTES = 8192  # enough of a file to tell text from binary


def plain(value: object) -> object:
    """`value` with numpy scalars and arrays turned into plain Python (for messages)."""
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    return value


def did_you_mean(word: str, choices: object) -> str:
    """`; did you mean 'x'?` for the closest of `choices` (difflib), or ``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def format_problem(problem: FieldProblem) -> str:
    """`path: message, got value` with the value as plain Python."""
    return f"{problem.path}: {problem.message}, got {plain(problem.value)!r}"


def _loc_to_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(root)"


def _models_named(name: str) -> list[type[BaseModel]]:
    found, todo = [], list(BaseModel.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__name__ == name:
            found.append(cls)
    return found


def _model_classes(annotation: object) -> list[type[BaseModel]]:
    """Every pydantic model inside a field annotation (through list, dict, union, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _model_classes(arg)]


def _allowed_keys(title: str, loc: tuple) -> set[str]:
    """Field names (and aliases) of the models that can sit at `loc` under the model `title`."""
    models = _models_named(title)
    for part in loc:
        if isinstance(part, int):
            continue
        inner = [m for model in models for name, f in model.model_fields.items()
                 if part in (name, f.alias) for m in _model_classes(f.annotation)]
        models = inner or models  # a dict key or a union tag: stay on the models we have
    return {key for model in models for name, f in model.model_fields.items()
            for key in (name, f.alias) if key}


def _expected_choices(ctx: dict) -> list[str]:
    text = str(ctx.get("expected", ""))
    return [part.strip().strip("'\"") for part in text.replace(" or ", ",").split(",")
            if part.strip()]


def format_validation_error(err: ValidationError) -> list[str]:
    """One line per problem: `path: message, got value` (with a did-you-mean for a mistyped
    key or choice)."""
    lines = []
    for e in err.errors():
        # pydantic puts the model/function name in loc for some validators; keep field names.
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        value = plain(e.get("input"))
        shown = "" if e["type"] == "missing" else f", got {value!r}"
        if isinstance(value, dict) and e["type"] != "extra_forbidden":
            shown = ""
        if e["type"] == "extra_forbidden" and loc:
            shown += did_you_mean(loc[-1], _allowed_keys(err.title, loc[:-1]))
        elif e["type"] in ("literal_error", "enum") and isinstance(value, str):
            shown += did_you_mean(value, _expected_choices(e.get("ctx", {})))
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
        lines = [format_problem(p) for p in err.problems]
    except yaml.YAMLError as err:
        lines = [f"not valid YAML: {err}"]
    except FileNotFoundError as err:
        lines = [f"file not found: {err.filename}"]
    except IsADirectoryError as err:
        lines = [f"a directory, not a file: {err.filename}"]
    except PermissionError as err:
        lines = [f"not readable (permission denied): {err.filename}"]
    except UnicodeDecodeError as err:
        lines = [f"not a text file (undecodable byte at offset {err.start})"]
    else:
        return
    n = len(lines)
    print(f"error: {prefix}{n} problem{'s' if n != 1 else ''} in the input", file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    raise typer.Exit(EXIT_BAD_INPUT)


def existing_file(value: Path | None) -> Path | None:
    """Typer callback for a path the command reads in any format (Parquet, Excel): an
    existing file, not a directory (else a usage error naming the argument and the path)."""
    if value is None:
        return None
    if not value.exists():
        raise typer.BadParameter(f"{str(value)!r}: no such file")
    if value.is_dir():
        raise typer.BadParameter(f"{str(value)!r} is a directory, not a file")
    return value


def input_file(value: Path | None) -> Path | None:
    """Typer callback for a text file the command reads (YAML, JSON, CSV): an existing,
    readable UTF-8 file (else a usage error naming the argument and the path, exit 2)."""
    if existing_file(value) is None:
        return None
    try:
        with value.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as err:
        raise typer.BadParameter(f"{str(value)!r} cannot be read: {err.strerror}") from None
    try:
        # incremental: a character cut at the end of the sniffed block is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SNIFF_BYTES)
        binary = b"\x00" in head
    except UnicodeDecodeError:
        binary = True
    if binary:
        raise typer.BadParameter(f"{str(value)!r} is a binary file, not a UTF-8 text file")
    return value


def at_least(low: float, above: bool = False) -> Callable[[float | None], float | None]:
    """Typer callback: the value must be >= low (> low if `above`); the usage error names
    the value given."""
    def check(value: float | None) -> float | None:
        if value is not None and (value <= low if above else value < low):
            raise typer.BadParameter(f"must be {'>' if above else '>='} {low:g}, got {value:g}")
        return value

    return check


@contextmanager
def solver_output_to_stderr(enabled: bool = True) -> Iterator[None]:
    """While active (if `enabled`), whatever anything writes to file descriptor 1 (solvers
    printing from C, e.g. HiGHS) goes to stderr, so stdout carries only the JSON."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            _flush_c_stdio()
            os.dup2(saved, 1)
    finally:
        os.close(saved)


def _flush_c_stdio() -> None:
    # C code writes through libc's buffered stdout; flush it before fd 1 points back
    import ctypes

    # no libc symbols (e.g. Windows): nothing buffered there
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)


class SuggestingGroup(typer.core.TyperGroup):
    """The command group: a mistyped choice of any option gets a did-you-mean."""

    def invoke(self, ctx: typer.Context) -> object:
        """Run the subcommand; add the closest choice to a bad-choice usage error."""
        try:
            return super().invoke(ctx)
        except typer.BadParameter as err:
            # Typer's message: "[Value error, ]'x' is not one of 'a', 'b'." (its own click copy
            # keeps no choice list on the error, so the message is all there is)
            text = err.message.removeprefix("Value error, ")
            given, sep, choices = text.partition(" is not one of ")
            if sep and "did you mean" not in text:
                try:
                    word = ast.literal_eval(given)
                    options = ast.literal_eval(f"({choices.rstrip('.')},)")
                except (ValueError, SyntaxError):
                    raise err from None
                hint = did_you_mean(word, options)
                err.message = text.rstrip(".") + hint if hint else text
            raise
