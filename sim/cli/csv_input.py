"""Reading a user's CSV for a command: a clear InvalidInput for an empty file, a file with no
columns, a binary file or a parse error, and numbers that must be finite."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimize.errors import FieldProblem, InvalidInput

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["finite_numbers", "read_csv"]


def read_csv(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """`pandas.read_csv(path, **kwargs)`, raising InvalidInput (field `(file)`) instead of
    pandas' errors when the file has no columns, is not text or does not parse."""
    import pandas as pd

    name = Path(path).name
    try:
        df = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise InvalidInput(FieldProblem("(file)", "no columns: the file is empty or has no "
                                        "header line", name)) from None
    except pd.errors.ParserError as err:
        raise InvalidInput(FieldProblem("(file)", f"not a valid CSV: {err}", name)) from None
    except UnicodeDecodeError as err:
        raise InvalidInput(FieldProblem("(file)", "not a UTF-8 text file (undecodable byte at "
                                        f"offset {err.start})", name)) from None
    if len(df.columns) == 0:
        raise InvalidInput(FieldProblem("(file)", "no columns", name))
    return df


def finite_numbers(column: pd.Series) -> pd.Series:
    """The column as floats; text, blanks, infinities and NaN become NaN, so that a check for
    missing numbers also catches `inf` (pandas reads it as a float)."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(column, errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers))
