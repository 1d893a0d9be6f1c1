"""SVG layouts from the config editor: uploaded, sanitised exactly as served (the stored text is
the served text), versioned (If-Match to replace or delete), reverted; names with path tricks,
oversized and malformed bodies refused with their path and nothing written anywhere."""
import os

from editconf import system_config, security_config
from weirproc import Http, WeirServer

GOOD = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<script>alert(1)</script>'
        '<rect id="tank" data-datapoint="WaterTank@TANK" onclick="alert(2)" width="5" height="5"/>'
        '</svg>')


def config_with_limit(limit):
    cfg = system_config()
    cfg["modules"].append({"name": "editor", "config": {"max_svg_bytes": limit, "keep_versions": 3}})
    return cfg


def put_svg(h, name, text, version=None):
    headers = {"Content-Type": "image/svg+xml"}
    if version:
        headers["If-Match"] = version
    return h.request("PUT", "/api/svg/" + name, raw=text.encode() if isinstance(text, str) else text,
                     headers=headers)


def snapshot(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if "/data/" in p and not p.endswith(".svg"):
                continue  # the databases change on their own
            with open(p, "rb") as fh:
                out[p] = fh.read()
    return out


def test_upload_sanitised_as_served_versioned_and_deleted():
    with WeirServer(system_config=config_with_limit(4096), security_config=security_config()) as w:
        h = Http(w)
        h.login()
        status, saved, headers = put_svg(h, "new.svg", GOOD)
        assert status == 201, saved
        assert saved["removed_elements"] >= 1 and saved["removed_attributes"] >= 1 and saved["bindings"] == 1
        v1 = saved["version"]
        with open(os.path.join(w.config_dir, "svg", "new.svg")) as f:
            stored = f.read()
        assert "script" not in stored and "onclick" not in stored
        status, served, _ = h.get("/api/svg/new.svg")
        assert status == 200 and served == stored
        assert "new.svg" in [i["name"] for i in h.get("/api/svg")[1]["items"]]
        # replacing needs the version
        changed = GOOD.replace('width="5"', 'width="6"')
        status, err, _ = put_svg(h, "new.svg", changed)
        assert status == 428 and err["version"] == v1
        assert put_svg(h, "new.svg", changed, "0000000000000000")[0] == 409
        status, saved2, _ = put_svg(h, "new.svg", changed, v1)
        assert status == 200 and saved2["previous_version"] == v1
        _, versions, _ = h.get("/api/svg/new.svg/versions")
        assert [v["id"] for v in versions["items"][:2]] == [saved2["version"], v1]
        # delete, then revert brings it back
        assert h.request("DELETE", "/api/svg/new.svg")[0] == 428
        status, body, _ = h.request("DELETE", "/api/svg/new.svg", headers={"If-Match": saved2["version"]})
        assert status == 200, body
        assert not os.path.exists(os.path.join(w.config_dir, "svg", "new.svg"))
        assert h.get("/api/svg/new.svg")[0] == 404
        status, back, _ = h.post(f"/api/svg/new.svg/versions/{v1}/revert")
        assert status == 201, back
        assert h.get("/api/svg/new.svg")[1] == stored
        _, audit, _ = h.get("/api/audit?action=config_save")
        assert any(r["target"] == "svg/new.svg" and r["user"] == "admin" for r in audit["items"]), audit


def test_bad_names_and_bodies_change_nothing():
    with WeirServer(system_config=config_with_limit(4096), security_config=security_config()) as w:
        h = Http(w)
        h.login()
        before = snapshot(w.tmp)
        # The HTTP edge decodes the path: a '..' segment or a NUL is refused there (400 bad_path),
        # an encoded slash makes another segment (no route); the rest reach the name check.
        for name in ["..%2F..%2Fetc%2Fpasswd.svg", "..%2Fsecurity_config.json", "a%00.svg", "..",
                     "%2E%2E"]:
            for method in ("PUT", "DELETE"):
                status, err, _ = h.request(method, "/api/svg/" + name, raw=GOOD.encode(),
                                           headers={"If-Match": "*"})
                assert status == 400 and err["error"]["code"] == "bad_path", (name, status, err)
        for name in ["%2Fetc%2Fx.svg", "sub%2Fx.svg"]:
            assert put_svg(h, name, GOOD)[0] == 404
        for name in [".hidden.svg", "notes.txt", "x.svg.json", "..svg", "a..b.svg", "a%5Cb.svg",
                     "new%20file.svg", "tab%09.svg", "x" * 200 + ".svg", ".svg"]:
            status, err, _ = put_svg(h, name, GOOD)
            assert status == 400, (name, status, err)
            assert err["error"]["field"] == "name", (name, err)
            status, err, _ = h.request("DELETE", "/api/svg/" + name, headers={"If-Match": "*"})
            assert status == 400 and err["error"]["field"] == "name", (name, err)
        status, err, _ = put_svg(h, "big.svg", GOOD + " " * 5000)
        assert status == 413 and err["error"]["field"] == "body", err
        status, err, _ = put_svg(h, "broken.svg", "<svg><rect></svg>")
        assert status == 422 and err["error"]["field"] == "body", err
        assert err["error"]["code"] == "invalid_svg", err
        status, err, _ = put_svg(h, "empty.svg", "")
        assert status == 400 and err["error"]["field"] == "body"
        assert snapshot(w.tmp) == before
        assert h.request("DELETE", "/api/svg/missing.svg", headers={"If-Match": "*"})[0] == 404
        # a bad editor setting is refused like any other setting
        cfg = config_with_limit(0)
        status, body, _ = h.request("PUT", "/api/config", body=cfg, headers={"If-Match": "*"})
        assert status == 422 and any(i["path"].endswith("config.max_svg_bytes") for i in body["issues"]), body
