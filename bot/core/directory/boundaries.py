"""Areas' boundaries: GeoJSON polygons (longitude, latitude) in the directory file, checked
with shapely, so that a shared location can be matched to the area that contains it."""

from collections.abc import Iterator, Mapping
from typing import Any

from bot.text.catalogs import N_

POLYGONS = ("Polygon", "MultiPolygon")


def boundary_problems(
    boundaries: Mapping[str, dict[str, Any]], area_codes: set[str]
) -> Iterator[tuple[tuple[str | int, ...], str, dict[str, object]]]:
    # shapely brings numpy (about 15 MB a process): imported only when a file is checked.
    from shapely.errors import GEOSException
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    for code, geometry in boundaries.items():
        loc = ("boundaries", code)
        if code not in area_codes:
            yield loc, N_("no area has the code '{code}'"), {"code": code}
            continue
        if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONS:
            yield loc, N_("a boundary is a GeoJSON Polygon or MultiPolygon"), {}
            continue
        try:
            polygon = shape(geometry)
        except (GEOSException, ValueError, TypeError, IndexError, KeyError) as error:
            yield loc, N_("not a GeoJSON geometry: {error}"), {"error": str(error)}
            continue
        if polygon.is_empty:
            yield loc, N_("the polygon has no points"), {}
            continue
        if not polygon.is_valid:
            why = explain_validity(polygon)
            yield loc, N_("not a valid polygon: {why}"), {"why": why}
            continue
        min_x, min_y, max_x, max_y = polygon.bounds
        if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
            yield loc, N_("coordinates are longitude, latitude (in degrees)"), {}
