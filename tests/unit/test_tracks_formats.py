"""Every input format imports: GPX 1.0/1.1, KML (all geometry kinds), KMZ, CSV logs, GeoJSON, shapefile, GPKG."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import tracks_synth as ts

from jalnet.registry import create_registry, open_registry
from jalnet.tracks import import_tracks


@pytest.fixture
def reg(tmp_path: Path):
    with create_registry(tmp_path / "reg.gpkg", crs="EPSG:32646") as r:
        yield r


def staged(reg, layer: str = "staged_pipes"):
    return reg.read(layer)


def near_truth(geom: shapely.Geometry, truth: shapely.Geometry, tol: float = 10.0) -> bool:
    pts = shapely.points(shapely.get_coordinates(geom))
    return float(np.max(shapely.distance(pts, truth))) < tol


def test_gpx11_tracks_segments_times_elevation_and_waypoints(reg, tmp_path: Path) -> None:
    w = ts.walk(1, spikes=2, standstill_s=60)
    line2 = ts.truth_line(dx=2000)
    a = ts.walk(2, line=line2)
    # the second track lost its fix for 10 minutes while the walker moved on: two segments, a real gap
    cut = len(a.x) // 2
    seg1 = ts.Walk(a.x[:cut], a.y[:cut], a.t[:cut], a.ele[:cut], a.acc[:cut], a.spikes, a.standstill, a.truth)
    keep = np.arange(cut + 80, len(a.x))
    seg2 = ts.Walk(a.x[keep], a.y[keep], a.t[keep] + 600, a.ele[keep], a.acc[keep], a.spikes, a.standstill, a.truth)
    lon, lat = ts.TO_LL.transform(w.x[0], w.y[0])
    path = ts.gpx11(tmp_path / "walks.gpx", [("BR-11", "UPVC 63 mm as laid", [w]), ("BR-12", "HDPE 90mm", [seg1, seg2])],
                    waypoints=[("SV BR-11", "Sluice valve at start of BR-11", lon, lat)])
    report = import_tracks(reg, [path])
    f = report.files[0]
    assert (f.status, f.format, f.features_read, f.features_kept) == ("imported", "GPX 1.1", 3, 3)
    assert f.points_dropped["spike"] == 2 and f.points_dropped["standstill"] >= 60
    assert f.points_read == len(w.x) + len(seg1.x) + len(seg2.x)
    assert f.points_read == f.points_kept + sum(f.points_dropped.values())
    pipes = staged(reg)
    assert list(pipes["source_ref"]) == ["trk 1 'BR-11'", "trk 2 'BR-12' [piece 1/2]", "trk 2 'BR-12' [piece 2/2]"]
    assert list(pipes["material"]) == ["UPVC", "HDPE", "HDPE"] and list(pipes["diameter_mm"]) == [63, 90, 90]
    assert set(pipes["geom_source"]) == {"gps_track"} and set(pipes["state"]) == {"staged"}
    assert pipes["points_in"].sum() == f.points_read
    assert json.loads(pipes["dropped"].iloc[0])["spike"] == 2
    assert near_truth(pipes.geometry.iloc[0], w.truth)
    points = staged(reg, "staged_points")
    assert points["kind"].tolist() == ["valve"]
    assert points["observed"].iloc[0] == "2024-03-12T04:31:00.000Z"
    assert json.loads(points["attributes"].iloc[0])["elevation_m"] == "50"
    assert points.geometry.iloc[0].distance(shapely.Point(w.x[0], w.y[0])) < 0.01


def test_gpx10_route_and_waypoint(reg, tmp_path: Path) -> None:
    w = ts.walk(3, dt=5.0, spikes=1)
    lon, lat = ts.TO_LL.transform(w.x[40], w.y[40] + 15)
    path = ts.gpx10_route(tmp_path / "old.gpx", "BR-03 old route", "HDPE 75 mm, walked Dec 2023", w,
                          [("FHTC H-01", "house tap", lon, lat)])
    report = import_tracks(reg, [path])
    assert report.files[0].format == "GPX 1.0"
    pipes = staged(reg)
    assert len(pipes) == 1 and pipes["source_ref"].iloc[0] == "rte 1 'BR-03 old route'"
    assert pipes["diameter_mm"].iloc[0] == 75 and json.loads(pipes["dropped"].iloc[0]) == {"spike": 1}
    assert near_truth(pipes.geometry.iloc[0], w.truth)
    assert staged(reg, "staged_points")["kind"].tolist() == ["fhtc"]


def test_kml_linestrings_2d_3d_nested_folders_and_extended_data(reg, tmp_path: Path) -> None:
    w2, w3 = ts.walk(4, dt=3.0), ts.walk(5, dt=3.0, line=ts.truth_line(dy=1500))
    lon, lat = ts.TO_LL.transform(w2.x[30] + 12, w2.y[30])
    doc = ts.kml(ts.folder(
        "Scheme 4010457",
        ts.folder("WO-117",
                  ts.placemark("BR-21", ts.line_string(w2), ts.data({"Pipe ID": "WO117/BR-21", "Diameter": "110 mm",
                                                                   "Material": "HDPE pipe", "Laid date": "20/03/2024",
                                                                   "scheme_id": "4010457"})),
                  ts.placemark("FHTC 1", ts.point(lon, lat), ts.data({"fhtc": "yes", "household_head": "R. Das"}))),
        ts.folder("WO-121",
                  ts.placemark("BR-22", ts.line_string(w3, three_d=True), ts.simple_data({
                      "pipe_id": "WO121/BR-22", "dia": '4"', "material": "D.I.", "pressure_class": "K-7"}))),
    ))
    report = import_tracks(reg, [ts.write(tmp_path / "export.kml", doc)])
    assert report.files[0].format == "KML" and report.files[0].features_read == 3
    pipes = staged(reg)
    assert list(pipes["source_ref"]) == ["Scheme 4010457 > WO-117 > BR-21", "Scheme 4010457 > WO-121 > BR-22"]
    assert list(pipes["pipe_id"]) == ["WO117/BR-21", "WO121/BR-22"]
    assert list(pipes["diameter_mm"]) == [110, 100]  # 4 inch is DN 100
    assert list(pipes["material"]) == ["HDPE", "DI"]
    assert pipes["laid_date"].iloc[0] == "2024-03-20" and pd.isna(pipes["laid_date"].iloc[1])
    assert pipes["pressure_class"].iloc[1] == "K7" and pipes["scheme_id"].iloc[0] == "4010457"
    assert set(pipes["geom_source"]) == {"contractor_kml"}
    assert near_truth(pipes.geometry.iloc[0], w2.truth) and near_truth(pipes.geometry.iloc[1], w3.truth)
    points = staged(reg, "staged_points")
    assert points["source_ref"].tolist() == ["Scheme 4010457 > WO-117 > FHTC 1"]
    assert points["kind"].tolist() == ["fhtc"]
    assert json.loads(points["attributes"].iloc[0])["household_head"] == "R. Das"


def test_kml_multigeometry_parts_of_one_walk_become_one_pipe(reg, tmp_path: Path) -> None:
    w = ts.walk(6, dt=3.0, spikes=1)
    k = len(w.x) // 2
    a = ts.Walk(w.x[:k], w.y[:k], w.t[:k], w.ele[:k], w.acc[:k], w.spikes, w.standstill, w.truth)
    b = ts.Walk(w.x[k:], w.y[k:], w.t[k:], w.ele[k:], w.acc[k:], w.spikes, w.standstill, w.truth)
    geom = f"<MultiGeometry>{ts.line_string(a, three_d=True)}{ts.line_string(b)}</MultiGeometry>"
    import_tracks(reg, [ts.write(tmp_path / "multi.kml", ts.kml(ts.placemark("BR-31", geom)))])
    pipes = staged(reg)
    assert len(pipes) == 1 and pipes["points_in"].iloc[0] == len(w.x)
    assert json.loads(pipes["dropped"].iloc[0]) == {"spike": 1}
    assert pipes.geometry.iloc[0].length == pytest.approx(w.truth.length, rel=0.05)


def test_gx_track_times_and_gx_multitrack_gap(reg, tmp_path: Path) -> None:
    w = ts.walk(7, dt=2.0, standstill_s=80)
    first = ts.walk(8, dt=2.0, line=ts.truth_line(dy=-1500))
    n = len(first.x)
    part1 = ts.Walk(first.x[: n // 2], first.y[: n // 2], first.t[: n // 2], first.ele[: n // 2], first.acc[: n // 2],
                    first.spikes, first.standstill, first.truth)
    rest = np.arange(n // 2 + 50, n)  # 100 s of walking not logged, and 20 minutes without a fix
    part2 = ts.Walk(first.x[rest], first.y[rest], first.t[rest] + 1200, first.ele[rest], first.acc[rest],
                    first.spikes, first.standstill, first.truth)
    doc = ts.kml(
        ts.placemark("BR-41", ts.gx_track(w), ts.simple_data({"pipe_id": "BR-41", "diameter": "63 mm"})),
        ts.placemark("BR-42", f"<gx:MultiTrack>{ts.gx_track(part1)}{ts.gx_track(part2)}</gx:MultiTrack>"),
    )
    report = import_tracks(reg, [ts.write(tmp_path / "tracks.kml", doc)])
    pipes = staged(reg)
    assert list(pipes["source_ref"]) == ["BR-41", "BR-42 [piece 1/2]", "BR-42 [piece 2/2]"]
    # the standstill is found by its times (+05:30 in the file): 80 s of fixes at one spot
    assert json.loads(pipes["dropped"].iloc[0])["standstill"] >= 40
    assert "no fix for 1302 s" in pipes["message"].iloc[1]  # 50 fixes of 2 s unlogged, 20 minutes lost, 1 step
    assert report.files[0].points_read == len(w.x) + len(part1.x) + len(part2.x)


def test_kmz_is_read_in_memory(reg, tmp_path: Path) -> None:
    w = ts.walk(9, dt=5.0)
    doc = ts.kml(ts.folder("WO-126", ts.placemark("BR-06", ts.line_string(w, True), ts.data({"diameter": "63 mm"}))))
    path = ts.kmz(tmp_path / "export.kmz", doc)
    report = import_tracks(reg, [path])
    assert report.files[0].format == "KMZ" and report.pipes == 1
    pipes = staged(reg)
    assert pipes["source_ref"].iloc[0] == "WO-126 > BR-06" and pipes["diameter_mm"].iloc[0] == 63
    assert pipes["source_file"].iloc[0] == "export.kmz"
    assert near_truth(pipes.geometry.iloc[0], w.truth)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.kmz", "reg.gpkg"]  # nothing extracted


def test_csv_columns_detected_by_name(reg, tmp_path: Path) -> None:
    a, b = ts.walk(10, spikes=2), ts.walk(11, line=ts.truth_line(dx=-1500))
    a.acc[[100, 101]] = 40.0
    path = ts.csv_log(tmp_path / "log.csv", {"LOG-A": a, "LOG-B": b},
                      header=("Walk", "Lat", "Lng", "Timestamp", "Acc (m)"), sep=";")
    report = import_tracks(reg, [path])
    f = report.files[0]
    assert f.format == "CSV" and f.features_read == 2 and f.pipes == 2
    assert f.points_dropped["low_accuracy"] == 2 and f.points_dropped["spike"] == 2
    pipes = staged(reg)
    assert pipes["source_ref"].tolist() == [f"track LOG-A (rows 2-{len(a.x) + 1})",
                                            f"track LOG-B (rows {len(a.x) + 2}-{len(a.x) + len(b.x) + 1})"]
    assert pipes["accuracy_m"].iloc[1] == pytest.approx(np.median(b.acc))
    assert near_truth(pipes.geometry.iloc[0], a.truth) and near_truth(pipes.geometry.iloc[1], b.truth)


def test_csv_columns_mapped_explicitly(reg, tmp_path: Path) -> None:
    w = ts.walk(12)
    lon, lat = w.lonlat
    rows = ["fix,Y_dd,X_dd,when,err,Pipe No,Dia"]
    rows += [f"{i},{la:.7f},{lo:.7f},{tm},{acc},P-77,90 mm" for i, (la, lo, tm, acc) in
             enumerate(zip(lat, lon, w.times(), w.acc))]
    path = ts.write(tmp_path / "survey.txt", "\n".join(rows))
    mapping = {"columns": {"lat": "Y_dd", "lon": "X_dd", "time": "when", "accuracy": "err"},
               "fields": {"pipe_id": "Pipe No"}}
    import_tracks(reg, [path], mapping=mapping)
    pipes = staged(reg)
    assert len(pipes) == 1 and pipes["pipe_id"].iloc[0] == "P-77" and pipes["diameter_mm"].iloc[0] == 90
    assert pipes["accuracy_m"].iloc[0] == pytest.approx(np.median(w.acc))
    assert near_truth(pipes.geometry.iloc[0], w.truth)


def test_geojson_shapefile_and_gpkg_through_gdal(reg, tmp_path: Path) -> None:
    w = ts.walk(13, dt=5.0)
    line = shapely.linestrings(np.column_stack([w.x, w.y]))
    frame = gpd.GeoDataFrame({"PIPE_ID": ["G-1", "G-2"], "DIA": ["160 mm", "63"], "MOC": ["uPVC", "HDPE"]},
                             geometry=[line, shapely.Point(w.x[10], w.y[10] + 20)], crs="EPSG:32646")
    frame.iloc[[0]].to_crs(4326).to_file(tmp_path / "lines.geojson", driver="GeoJSON")
    frame.iloc[[0]].to_file(tmp_path / "lines.shp")
    frame.to_file(tmp_path / "both.gpkg", layer="contractor")
    frame.iloc[[1]].to_crs(4326).to_file(tmp_path / "taps.geojson", driver="GeoJSON")
    paths = [tmp_path / n for n in ("lines.geojson", "lines.shp", "both.gpkg", "taps.geojson")]
    report = import_tracks(reg, paths)
    assert [f.format for f in report.files] == ["OGR GeoJSON", "OGR ESRI Shapefile", "OGR GPKG", "OGR GeoJSON"]
    pipes = staged(reg)
    assert pipes["pipe_id"].tolist() == ["G-1"] * 3 and set(pipes["material"]) == {"UPVC"}
    assert set(pipes["diameter_mm"]) == {160}
    for geom in pipes.geometry:
        assert near_truth(geom, w.truth)
    points = staged(reg, "staged_points")
    assert len(points) == 2 and points.geometry.iloc[0].distance(shapely.Point(w.x[10], w.y[10] + 20)) < 0.01


def test_all_files_go_in_one_batch_and_one_undo_removes_them(reg, tmp_path: Path) -> None:
    w = ts.walk(14, dt=3.0)
    gpx = ts.gpx11(tmp_path / "a.gpx", [("A", "", [w])])
    kml = ts.write(tmp_path / "b.kml", ts.kml(ts.placemark("B", ts.line_string(w))))
    report = import_tracks(reg, [gpx, kml])
    pipes = staged(reg)
    assert set(pipes["import_batch"]) == {report.batch_id}
    assert list(reg.batches()["tool"]) == ["tracks import"]
    assert pipes["candidate_id"].is_unique and pipes["candidate_id"].str.startswith(report.batch_id).all()
    reg.undo(report.batch_id)
    assert reg.count("staged_pipes") == 0


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.gpkg"
    create_registry(path).close()
    w = ts.walk(15, dt=3.0)
    report = import_tracks(path, [ts.gpx11(tmp_path / "a.gpx", [("A", "", [w])])], options={"dry_run": True})
    assert report.pipes == 1 and report.batch_id is None
    with open_registry(path) as reg:
        assert reg.count("staged_pipes") == 0 and reg.batches().empty


def test_assamese_bengali_hindi_text_survives(reg, tmp_path: Path) -> None:
    w = ts.walk(16, dt=3.0)
    assamese, bengali, hindi = "ভবানীপুৰ: নতুন পাইপ", "নতুন শাখা পাইপলাইন", "नई पाइपलाइन, वार्ड ४"
    lon, lat = ts.TO_LL.transform(w.x[5], w.y[5] + 10)
    doc = ts.kml(ts.folder(f"আঁচনি {assamese}", ts.placemark(
        "BR-জ", ts.line_string(w), ts.data({"ঠিকাদাৰ": "ৰাম দাস", "contractor": "मेसर्स जल निर्माण"}), bengali),
        ts.placemark("নল ১", ts.point(lon, lat), ts.data({"household_head": "অনিল বৰুৱা", "fhtc": "yes"}), hindi)))
    gpx = ts.gpx11(tmp_path / "hi.gpx", [("हिंदी ट्रैक", hindi, [ts.walk(17, dt=3.0, line=ts.truth_line(dx=3000))])])
    csv_path = tmp_path / "bn.csv"
    ts.csv_log(csv_path, {"লগ-১": ts.walk(18, line=ts.truth_line(dx=-3000))})
    import_tracks(reg, [ts.write(tmp_path / "as.kml", doc), gpx, csv_path])
    pipes = staged(reg)
    assert pipes["source_ref"].tolist()[0] == f"আঁচনি {assamese} > BR-জ"
    assert pipes["description"].tolist()[:2] == [bengali, hindi]
    assert pipes["contractor"].iloc[0] == "मेसर्स जल निर्माण"
    assert pipes["name"].tolist() == ["BR-জ", "हिंदी ट्रैक", "লগ-১"]
    point = staged(reg, "staged_points").iloc[0]
    assert point["name"] == "নল ১" and point["description"] == hindi
    assert json.loads(point["attributes"])["household_head"] == "অনিল বৰুৱা"


def test_accuracy_from_gpx_extensions_hdop_and_gx_arrays(reg, tmp_path: Path) -> None:
    w = ts.walk(19, dt=2.0)
    lon, lat = w.lonlat
    acc = np.full(len(lon), 4.0)
    acc[40:45] = 60.0
    pts = []
    for k, (lo, la, tm) in enumerate(zip(lon, lat, w.times())):
        extra = f"<extensions><accuracy>{acc[k]}</accuracy></extensions>" if k % 2 else f"<hdop>{acc[k] / 5}</hdop>"
        pts.append(f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><time>{tm}</time>{extra}</trkpt>')
    gpx = ts.write(tmp_path / "acc.gpx", '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
                   f"<trk><name>A</name><trkseg>{''.join(pts)}</trkseg></trk></gpx>")
    track = ts.gx_track(w).replace("</gx:Track>", '<ExtendedData><SchemaData schemaUrl="#t"><gx:SimpleArrayData '
                                   'name="accuracy">' + "".join(f"<gx:value>{a}</gx:value>" for a in acc)
                                   + "</gx:SimpleArrayData></SchemaData></ExtendedData></gx:Track>")
    kml = ts.write(tmp_path / "acc.kml", ts.kml(ts.placemark("B", track)))
    report = import_tracks(reg, [gpx, kml])
    assert [f.points_dropped["low_accuracy"] for f in report.files] == [5, 5]
    assert staged(reg)["accuracy_m"].tolist() == [4.0, 4.0]


def test_attributes_from_a_description_table(reg, tmp_path: Path) -> None:
    w = ts.walk(20, dt=3.0)
    table = ("<table><tr><th>PIPE_ID</th><td>T-5</td></tr><tr><td>Dia</td><td>160 mm</td></tr>"
             "<tr><td>Material</td><td>DI</td></tr></table>")
    import_tracks(reg, [ts.write(tmp_path / "t.kml", ts.kml(ts.placemark("T", ts.line_string(w), description=table)))])
    pipe = staged(reg).iloc[0]
    assert (pipe["pipe_id"], pipe["diameter_mm"], pipe["material"]) == ("T-5", 160.0, "DI")
    assert "<" not in pipe["description"] and "T-5" in pipe["description"]


def test_csv_degrees_minutes_seconds_date_time_columns_and_hdop(reg, tmp_path: Path) -> None:
    w = ts.walk(21, dt=2.0)
    lon, lat = w.lonlat

    def dms(value: float, hemi: str) -> str:
        d = int(value)
        m = int((value - d) * 60)
        return f"{d}°{m}'{(value - d - m / 60) * 3600:.3f}\"{hemi}"

    rows = ["Date,Time,Latitude,Longitude,HDOP"]
    for la, lo, stamp in zip(lat, lon, w.t):
        local = np.datetime64(int(stamp + 5.5 * 3600), "s").astype(object)
        rows.append(f"{local:%d/%m/%Y},{local:%H:%M:%S},{dms(la, 'N')},{dms(lo, 'E')},0.9")
    path = ts.write(tmp_path / "dms.csv", "\n".join(rows))
    report = import_tracks(reg, [path])
    assert report.files[0].pipes == 1
    pipe = staged(reg).iloc[0]
    assert pipe["accuracy_m"] == pytest.approx(4.5)  # HDOP 0.9 x 5 m
    assert near_truth(pipe.geometry, w.truth)
    fixes = import_tracks(reg, [path], options={"keep_fixes": True, "dry_run": True}).files[0].fixes[0]
    assert fixes.time[0] == pytest.approx(w.t[0])  # day-first local date + time, read as IST


def test_import_into_gpkg_and_postgis(registry_target: str, tmp_path: Path) -> None:
    w = ts.walk(22, dt=2.0, spikes=2)
    path = ts.write(tmp_path / "t.kml", ts.kml(ts.folder("ভবানীপুৰ", ts.placemark("BR", ts.gx_track(w)))))
    with create_registry(registry_target, crs="EPSG:32646") as reg:
        report = import_tracks(reg, [path])
        pipes = reg.read("staged_pipes")
        assert pipes["source_ref"].tolist() == ["ভবানীপুৰ > BR"] and json.loads(pipes["dropped"].iloc[0]) == {"spike": 2}
        assert set(pipes["import_batch"]) == {report.batch_id}
        reg.undo(report.batch_id)
        assert reg.count("staged_pipes") == 0
