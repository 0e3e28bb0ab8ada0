"""The pieces the views share: how tables write numbers."""

import json
import shutil
import subprocess

import pandas as pd
import panel as pn
import pytest

from workbench.app import DataView, ExtrapolateView, FitView, WorkbenchState
from workbench.app.common import NUMBER_FORMAT, number_columns
from workbench.app.passuntil import PassUntilView

WRITTEN = [
    (8.011e18, False, "8.011e+18"),
    (1_636_000_000.0, False, "1.636e+9"),
    (2_109_000.0, False, "2.109e+6"),
    (0.00012, False, "1.200e-4"),
    (1773.879988, True, "1,774"),
    (1773.879988, False, "1,774"),
    (18_017, False, "18,017"),
    (0.008923, False, "0.008923"),
    (14.0123, False, "14.01"),
    (-59.585, False, "-59.59"),
    (0.0, False, "0"),
    (None, False, "–"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the formatter")
def test_tables_write_numbers_readably():
    script = f"""
    const format = {NUMBER_FORMAT.js_code};
    const cases = {json.dumps([[value, whole] for value, whole, _ in WRITTEN])};
    console.log(JSON.stringify(cases.map(([value, whole]) =>
        format({{getValue: () => value}}, {{whole}}))));
    """
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [text for _, _, text in WRITTEN]


def test_every_table_of_numbers_uses_the_shared_format(fitted_state):
    state = WorkbenchState(runs=fitted_state.runs, fit=fitted_state.fit)
    extrapolate = ExtrapolateView(state=state)
    extrapolate.predict()
    passuntil = PassUntilView(state=state)
    passuntil.simulate()
    views = [DataView(state=state), FitView(state=state), extrapolate, passuntil]
    tables = [
        table
        for view in views
        for table in view.__panel__().select(pn.widgets.Tabulator)
        if isinstance(table.value, pd.DataFrame) and number_columns(table.value)
    ]
    assert len(tables) >= 5  # runs, parameters, predictions, compute optimum, PassUntil
    for table in tables:
        for column in number_columns(table.value):
            assert table.formatters[column]["type"] is NUMBER_FORMAT, column
    (summary,) = views[1].__panel__().select(pn.widgets.Tabulator)[1:]
    assert summary.formatters["ess_bulk"]["whole"]
