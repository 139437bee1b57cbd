"""What every evaluation of a record kind offers the reports: typed columns by name, fast.

The penalty evaluation and the deadline evaluations share it, so the report
writers (engine.results) read any kind's records the same way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


class RecordColumns:
    """Mixin over ``self.records`` (engine.records.frame.Records)."""

    @property
    def frame(self) -> pd.DataFrame:
        return self.records.frame

    @property
    def n(self) -> int:
        return len(self.records.frame)

    @property
    def evaluated(self) -> np.ndarray:
        return ~self.records.rejections.mask

    def column(self, name) -> np.ndarray:
        """A column as numpy (cached); dates always at day resolution (pandas may store seconds).

        Explanations read single cells through this cache: indexing a numpy
        array costs nanoseconds, a pandas ``.iat`` microseconds, and a batch
        explains a hundred thousand findings.
        """
        cache = self.__dict__.setdefault("_columns", {})
        if name not in cache:
            a = self.frame[name].to_numpy()
            cache[name] = a.astype("datetime64[D]") if a.dtype.kind == "M" else a
        return cache[name]

    def has_code(self, list_column: str, code: str) -> np.ndarray:
        """Rows whose code list holds ``code``: decided once per distinct list, then spread by index."""
        cache = self.__dict__.setdefault("_factorized", {})
        if list_column not in cache:
            col = self.frame[list_column]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes, uniques = col.cat.codes.to_numpy(), col.cat.categories
            else:
                codes, uniques = pd.factorize(col, use_na_sentinel=True)
            cache[list_column] = (codes, [str(u) for u in uniques])
        found = self.__dict__.setdefault("_has_code", {})
        if (list_column, code) not in found:     # asked by several checks; each answer is a pass over the batch
            codes, uniques = cache[list_column]
            hit = np.array([f";{code};" in u for u in uniques] + [False], dtype=bool)
            found[list_column, code] = hit[codes]
        return found[list_column, code]

    def _take(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Some rows of a column as numpy, without converting the whole column first."""
        if "_columns" in self.__dict__ and name in self._columns:
            return self._columns[name][rows]
        a = self.frame[name].take(rows).to_numpy()
        return a.astype("datetime64[D]") if a.dtype.kind == "M" else a

