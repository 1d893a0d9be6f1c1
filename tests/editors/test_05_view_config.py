"""view_config: a user with only view_config reads the configuration, its schema, versions, diffs,
a dry run, SVG versions and expression checks, and is refused (403) every save, revert, SVG upload
or delete, with nothing written; a user with only view reads none of it; edit_config brings
view_config along (GET /api/auth/me lists it)."""
from editconf import current, file_bytes, put_config, security_config, system_config, with_datapoint
from secconf import argon2id
from weirproc import Http, WeirServer

READER_PASSWORD = "Quiet-Harbour-56"
EDITOR_PASSWORD = "Busy-Mill-Stream-78"

SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect id="r" width="1" height="1"/></svg>'


def with_readers():
    cfg = security_config()
    cfg["groups"] += [{"name": "readers", "permissions": ["view_config"]},
                      {"name": "editors", "permissions": ["edit_config"]}]
    cfg["users"] += [{"username": "reader", "password_hash": argon2id(READER_PASSWORD), "groups": ["readers"],
                      "allowed_apps": ["config_editor"]},
                     {"username": "editor", "password_hash": argon2id(EDITOR_PASSWORD), "groups": ["editors"],
                      "allowed_apps": ["config_editor"]}]
    return cfg


def test_view_config_reads_but_cannot_save():
    with WeirServer(system_config=system_config(), security_config=with_readers()) as w:
        admin = Http(w)
        admin.login()
        assert admin.request("PUT", "/api/svg/plant.svg", raw=SVG.encode(),
                             headers={"Content-Type": "image/svg+xml"})[0] == 201
        version, doc = current(admin)
        first = admin.get("/api/config/versions")[1]["items"][-1]["id"]

        reader = Http(w)
        reader.login("reader", READER_PASSWORD, app="config_editor")
        me = reader.get("/api/auth/me")[1]
        assert "view_config" in me["permissions"] and "edit_config" not in me["permissions"], me
        # every read
        assert current(reader) == (version, doc)
        for path in ["/api/config/schema", "/api/config/versions", f"/api/config/versions/{version}",
                     f"/api/config/diff?from={first}", "/api/svg/plant.svg/versions"]:
            status, body, _ = reader.get(path)
            assert status == 200, (path, status, body)
        status, dry, _ = reader.post("/api/config/dry-run", with_datapoint(doc))
        assert status == 200 and dry["valid"], dry
        status, check, _ = reader.post("/api/expression/check", {"expression": "value * 2", "kind": "animation"})
        assert status == 200 and check["ok"], check

        # every write refused, nothing written
        before = file_bytes(w)
        svg_before = file_bytes(w, "svg/plant.svg")
        refusals = [
            put_config(reader, with_datapoint(doc), version),
            reader.post(f"/api/config/versions/{first}/revert", headers={"If-Match": version}),
            reader.request("PUT", "/api/svg/plant.svg", raw=SVG.encode(),
                           headers={"Content-Type": "image/svg+xml", "If-Match": "*"}),
            reader.request("PUT", "/api/svg/other.svg", raw=SVG.encode(), headers={"Content-Type": "image/svg+xml"}),
            reader.request("DELETE", "/api/svg/plant.svg", headers={"If-Match": "*"}),
            reader.post("/api/config/reload"),
        ]
        for status, body, _ in refusals:
            assert status == 403, (status, body)
            assert "edit_config" in body["error"]["message"], body
        assert file_bytes(w) == before
        assert file_bytes(w, "svg/plant.svg") == svg_before
        assert current(admin)[0] == version
        assert admin.get("/api/config/versions")[1]["items"][0]["id"] == version

        # edit_config alone reads and saves
        editor = Http(w)
        editor.login("editor", EDITOR_PASSWORD, app="config_editor")
        assert "view_config" in editor.get("/api/auth/me")[1]["permissions"]
        assert current(editor) == (version, doc)
        status, body, _ = put_config(editor, with_datapoint(doc), version)
        assert status == 200 and body["applied"], body


def test_view_alone_reads_no_configuration():
    with WeirServer(system_config=system_config(), security_config=security_config()) as w:
        from secconf import VIEWER_PASSWORD
        viewer = Http(w)
        viewer.login("viewer", VIEWER_PASSWORD)
        for path in ["/api/config", "/api/config/schema", "/api/config/versions"]:
            status, body, _ = viewer.get(path)
            assert status == 403 and "view_config" in body["error"]["message"], (path, status, body)
