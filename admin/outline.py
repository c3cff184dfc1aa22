"""Areas' boundaries drawn as outlines: GeoJSON (longitude, latitude) turned into SVG paths on
the server with shapely, so the panel shows a map without tiles, scripts or anything fetched
from elsewhere."""

import math
from dataclasses import dataclass
from typing import Any

from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

WIDTH = 480  # the drawing's width in SVG units; its height follows the areas' shape


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    path: str  # the SVG path's `d`
    label_x: float
    label_y: float
    main: bool  # the area the page is about (drawn bold); others are its neighbours or parts


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    outlines: list[Outline]


def _geometry(boundary: Any) -> BaseGeometry | None:
    try:
        geometry = shape(boundary)
    except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return None
    ok = isinstance(geometry, Polygon | MultiPolygon) and not geometry.is_empty
    return geometry if ok else None


def drawing(areas: list[tuple[str, str, Any, bool]]) -> Drawing | None:
    """(code, name, boundary, main) → one drawing with every outline in the same frame; None
    when no area has a usable boundary."""
    shapes = [(c, n, g, m) for c, n, b, m in areas if (g := _geometry(b)) is not None]
    if not shapes:
        return None
    min_x = min(g.bounds[0] for _, _, g, _ in shapes)
    min_y = min(g.bounds[1] for _, _, g, _ in shapes)
    max_x = max(g.bounds[2] for _, _, g, _ in shapes)
    max_y = max(g.bounds[3] for _, _, g, _ in shapes)
    # A degree of longitude is shorter than one of latitude away from the equator.
    stretch = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * stretch, 1e-9)
    span_y = max(max_y - min_y, 1e-9)
    scale = (WIDTH - 20) / span_x
    height = min(max(int(span_y * scale) + 20, 60), 2 * WIDTH)
    scale = min(scale, (height - 20) / span_y)

    def point(x: float, y: float) -> str:
        return f"{10 + (x - min_x) * stretch * scale:.1f},{10 + (max_y - y) * scale:.1f}"

    outlines = []
    for code, name, geometry, main in shapes:
        simple = geometry.simplify(span_y / 500, preserve_topology=True)
        polygons = simple.geoms if isinstance(simple, MultiPolygon) else [simple]
        rings = [ring for p in polygons for ring in (p.exterior, *p.interiors)]
        path = " ".join(
            "M" + " L".join(point(x, y) for x, y in list(ring.coords)[:-1]) + " Z" for ring in rings
        )
        inside = geometry.representative_point()
        x, y = point(inside.x, inside.y).split(",")
        outlines.append(Outline(code, name, path, float(x), float(y), main))
    return Drawing(WIDTH, height, outlines)
