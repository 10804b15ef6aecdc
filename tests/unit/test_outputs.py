"""The shared refusal of an output whose folder is missing, before any work."""

from __future__ import annotations

import pytest

from jalnet.errors import InputError
from jalnet.outputs import gpkg_output, output_folder


def test_missing_folder_is_refused_in_one_line(tmp_path):
    with pytest.raises(InputError, match=r"^folder .*nowhere does not exist; create it first$"):
        output_folder(tmp_path / "nowhere" / "out.csv")


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="for the impact table does not exist"):
        output_folder(tmp_path / "file" / "out.csv", "impact table")


def test_existing_folder_passes_and_gpkg_names_are_checked(tmp_path):
    assert output_folder(tmp_path / "out.csv") == tmp_path / "out.csv"
    assert gpkg_output(tmp_path / "out.gpkg", "output") == tmp_path / "out.gpkg"
    with pytest.raises(InputError, match="must end with .gpkg"):
        gpkg_output(tmp_path / "out.shp", "output")
