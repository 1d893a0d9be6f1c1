#!/usr/bin/env python3
"""Writes base/demo_area.geojson: the offline base layer of the demo area (the fixtures' and the demo
configuration's map, around 47.42 N 8.22 E). A schematic outline drawn from coordinates only (no map
data is downloaded): the area's frame, a labelled grid every 0.005 degrees and the demo's sites.
Run it again after changing the sites; the output is committed."""
import json
import os

SOUTH, NORTH, WEST, EAST = 47.395, 47.445, 8.195, 8.255
STEP = 0.005
SITES = [  # (name, latitude, longitude): the map icons of the fixtures and of config/
    ("Camera 1", 47.4328, 8.2384), ("Camera 2", 47.4202, 8.2249), ("Camera 3", 47.4081, 8.2140),
    ("Help", 47.4202, 8.2400), ("Water tank", 47.4250, 8.2150), ("Boiler", 47.4230, 8.2200),
    ("Model train", 47.4160, 8.2300), ("ESP32", 47.4189, 8.2246), ("Raspberry Pi", 47.4175, 8.2270),
]


def r(x):
    return round(x, 6)


def main():
    features = [{
        "type": "Feature",
        "properties": {"kind": "area", "name": "Weir demo area (schematic)"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]]},
    }]
    n = round((NORTH - SOUTH) / STEP)
    for i in range(1, n):
        lat = r(SOUTH + i * STEP)
        features.append({"type": "Feature", "properties": {"kind": "grid", "name": f"{lat:.3f} N"},
                         "geometry": {"type": "LineString", "coordinates": [[WEST, lat], [EAST, lat]]}})
    n = round((EAST - WEST) / STEP)
    for i in range(1, n):
        lon = r(WEST + i * STEP)
        features.append({"type": "Feature", "properties": {"kind": "grid", "name": f"{lon:.3f} E"},
                         "geometry": {"type": "LineString", "coordinates": [[lon, SOUTH], [lon, NORTH]]}})
    for name, lat, lon in SITES:
        features.append({"type": "Feature", "properties": {"kind": "site", "name": name},
                         "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    doc = {"type": "FeatureCollection",
           "bbox": [WEST, SOUTH, EAST, NORTH],
           "properties": {"attribution": "Weir demo (schematic, no map data)"},
           "features": features}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "base", "demo_area.geojson")
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
