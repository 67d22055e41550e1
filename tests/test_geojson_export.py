"""GIS users open the export with GDAL tools (QGIS, ogr2ogr) without complaint."""

import json
import os
import shutil
import subprocess

import pytest
from django.urls import reverse

OGRINFO = shutil.which("ogrinfo")


def test_ogrinfo_reads_every_exported_initiative(client, directory, tmp_path):
    if OGRINFO is None:
        # .ci/run installs gdal-bin: there a missing ogrinfo is a failure, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but GDAL's ogrinfo is not installed: apt-get install gdal-bin")
        pytest.skip("GDAL's ogrinfo not installed (apt-get install gdal-bin)")
    response = client.get(reverse("initiatives_geojson"), {"theme": "economie-circulaire-reemploi"})
    content = b"".join(response.streaming_content)
    export = tmp_path / "initiatives.geojson"
    export.write_bytes(content)

    result = subprocess.run(
        [OGRINFO, "-so", "-al", str(export)], capture_output=True, text=True, check=True
    )

    assert "ERROR" not in result.stderr and "Warning" not in result.stderr
    assert "Geometry: Point" in result.stdout
    assert "Feature Count: 2" in result.stdout
    # The properties, typed: text, whole numbers, dates.
    assert "commune_code: String" in result.stdout
    assert "year_started: Integer" in result.stdout
    assert "updated_at: DateTime" in result.stdout
    assert len(json.loads(content)["features"]) == 2
