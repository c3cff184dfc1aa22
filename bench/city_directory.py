"""A city-sized directory file, as a large city's staff would import it: 1,000 areas (10
districts, 90 streets, 900 communities), each with a boundary of a few hundred points (as
surveyed outlines are), 300 stations with a deputy group each, and 3,000 deputies.

    .venv/bin/python -m bench.city_directory [OUT.yaml]

Prints the file's size (and writes it if asked); the panel's import limit is chosen above it
(`admin.app.IMPORT_MAX_SIZE`)."""

import math
import random
import sys

import yaml

DISTRICTS, STREETS, COMMUNITIES = 10, 9, 10  # per city, district, street: 1,000 areas
STATIONS, DEPUTIES = 300, 3000
POINTS = 300  # a boundary's vertices


def _outline(rng: random.Random, lon: float, lat: float, radius: float, points: int) -> dict:
    """A simple polygon around (lon, lat): points at rising angles, so it never crosses."""
    ring = []
    for step in range(points):
        angle = 2 * math.pi * step / points
        r = radius * rng.uniform(0.8, 1.0)
        ring.append([round(lon + r * math.cos(angle), 6), round(lat + r * math.sin(angle), 6)])
    return {"type": "Polygon", "coordinates": [[*ring, list(ring[0])]]}


def city_directory(points: int = POINTS, seed: int = 12) -> str:
    """The file's text, written as the panel's export writes a directory."""
    rng = random.Random(seed)
    areas, boundaries, communities = [], {}, []
    for d in range(DISTRICTS):
        streets = []
        for s in range(STREETS):
            children = []
            for c in range(COMMUNITIES):
                code = f"d{d}-s{s}-c{c}"
                children.append({"code": code, "name": f"第{c + 1}社区", "kind": "community"})
                communities.append(code)
            streets.append(
                {
                    "code": f"d{d}-s{s}",
                    "name": f"第{s + 1}街道",
                    "kind": "street",
                    "children": children,
                }
            )
        areas.append(
            {"code": f"d{d}", "name": f"第{d + 1}区", "kind": "district", "children": streets}
        )
    for d, district in enumerate(areas):
        boundaries[district["code"]] = _outline(rng, 120 + d * 0.3, 30.0, 0.14, points)
        for s, street in enumerate(district["children"]):
            boundaries[street["code"]] = _outline(rng, 120 + d * 0.3, 30 + s * 0.03, 0.014, points)
            for c, community in enumerate(street["children"]):
                lon, lat = 120 + d * 0.3 + c * 0.003, 30 + s * 0.03
                boundaries[community["code"]] = _outline(rng, lon, lat, 0.0014, points)
    stations = [
        {
            "code": f"st{i}",
            "name": f"第{i + 1}代表联络站",
            "area": communities[i * 3],
            "address": f"幸福路{i + 1}号党群服务中心",
        }
        for i in range(STATIONS)
    ]
    groups = [
        {
            "code": f"g{i}",
            "name": f"第{i + 1}代表小组",
            "station": f"st{i}",
            "chat_id": -1002000000000 - i,
            "areas": communities[i * 3 : i * 3 + 3],
            "fallback": True,
        }
        for i in range(STATIONS)
    ]
    deputies = [
        {
            "code": f"d{i}",
            "name": f"代表{i + 1}",
            "level": rng.choice(["区人大代表", "市人大代表"]),
            "telegram_user_id": 7100000000 + i,
            "groups": [f"g{i % STATIONS}"],
        }
        for i in range(DEPUTIES)
    ]
    directory = {
        "areas": areas,
        "stations": stations,
        "deputy_groups": groups,
        "deputies": deputies,
        "categories": [{"code": "other", "name": "其他"}],
        "boundaries": boundaries,
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the same text, sooner
    return yaml.dump(directory, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)


if __name__ == "__main__":
    text = city_directory()
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    print(f"{len(text.encode()):,} bytes")
