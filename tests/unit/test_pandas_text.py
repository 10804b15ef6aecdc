"""python_strings: pandas text as Python strings inside, the previous storage back after."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from jalnet.pandas_text import python_strings


def test_storage_is_python_inside_and_restored_after_nested_blocks() -> None:
    before = pd.get_option("mode.string_storage")
    with python_strings():
        assert pd.get_option("mode.string_storage") == "python"
        with python_strings():
            assert pd.get_option("mode.string_storage") == "python"
        assert pd.get_option("mode.string_storage") == "python"  # the outer block is still on
    assert pd.get_option("mode.string_storage") == before


def test_new_text_columns_are_python_backed_with_the_same_values() -> None:
    if not isinstance(pd.Series(["a"]).dtype, pd.StringDtype):
        pytest.skip("this pandas stores text as object by default")
    outside = pd.Series(["a", None, "b"])
    with python_strings():
        inside = pd.Series(["a", None, "b"])
    assert inside.dtype.storage == "python"
    assert inside.isna().tolist() == outside.isna().tolist() and inside.dropna().tolist() == ["a", "b"]


def test_concurrent_blocks_leave_the_setting_as_it_was() -> None:
    before = pd.get_option("mode.string_storage")
    inside = threading.Barrier(2)

    def work() -> None:
        with python_strings():
            inside.wait(timeout=10)  # both threads are in their block at once

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert pd.get_option("mode.string_storage") == before
