"""Versions, structural diff, dry run and revert of system_config.json; the expression check."""
from editconf import current, put_config, security_config, system_config, with_datapoint
from weirproc import Http, WeirServer


def test_dry_run_diff_and_revert():
    with WeirServer(system_config=system_config(), security_config=security_config()) as w:
        h = Http(w)
        h.login()
        v1, doc = current(h)
        proposed = with_datapoint(doc)
        proposed["rules"] = [{"rule_id": "high", "on_condition": "WaterTank@TANK > 90",
                              "on_actions": ["raise_alarm()"], "off_condition": "", "off_actions": []}]
        del proposed["drivers"][0]["command_datapoints"][2]
        # dry run: what would change, nothing written
        status, dry, _ = h.post("/api/config/dry-run", proposed)
        assert status == 200, dry
        assert dry["valid"] is True and dry["base_version"] == v1
        by = {c["section"]: c for c in dry["changes"]}
        assert by["drivers"]["changed"] == ["WaterTank"]
        assert by["datapoints"]["added"] == ["WaterTank@FLOW"]
        assert by["command_datapoints"]["removed"] == ["WaterTank@TEST_CMD"]
        assert by["rules"]["added"] == ["high"]
        assert any(c["path"] == "rules" and c["op"] == "added" for c in dry["diff"]["changes"])
        assert current(h)[0] == v1 and h.get("/api/datapoints/WaterTank@FLOW")[0] == 404
        # a dry run of a bad document lists its issues with their paths
        bad = with_datapoint(doc, type_="NOPE")
        bad["rules"] = [{"rule_id": "r", "on_condition": "WaterTank@TANK >", "on_actions": []}]
        status, dry, _ = h.post("/api/config/dry-run", bad)
        assert status == 200 and dry["valid"] is False
        assert any(i["path"].startswith("rules[0]") and i["error"] for i in dry["issues"]), dry["issues"]

        status, saved, _ = put_config(h, proposed, v1)
        assert status == 200, saved
        v2 = saved["version"]
        assert h.get("/api/datapoints/WaterTank@FLOW")[0] == 200
        # the diff between the two kept versions
        status, diff, _ = h.get(f"/api/config/diff?from={v1}&to={v2}")
        assert status == 200 and diff["from"] == v1 and diff["to"] == v2
        paths = {(c["path"], c["op"]) for c in diff["diff"]["changes"]}
        assert ("drivers[0].datapoints[4]", "added") in paths
        assert ("drivers[0].command_datapoints[2]", "removed") in paths
        assert h.get(f"/api/config/diff?from={v1}")[1]["to"] == v2
        status, one, _ = h.get(f"/api/config/versions/{v1}")
        assert status == 200 and one["document"] == doc and one["version"]["id"] == v1
        # revert: needs If-Match too; afterwards the datapoint is gone and the rule with it
        assert h.post(f"/api/config/versions/{v1}/revert")[0] == 428
        status, body, _ = h.post(f"/api/config/versions/{v1}/revert", headers={"If-Match": v1})
        assert status == 409, body
        status, reverted, _ = h.post(f"/api/config/versions/{v1}/revert", headers={"If-Match": v2})
        assert status == 200, reverted
        assert reverted["version"] == v1 and reverted["previous_version"] == v2
        assert h.get("/api/datapoints/WaterTank@FLOW")[0] == 404
        assert h.get("/api/datapoints/WaterTank@TEST_CMD")[0] == 200
        _, versions, _ = h.get("/api/config/versions")
        newest = versions["items"][0]
        assert newest["action"] == "revert" and newest["author"] == "admin" and v1 in newest["note"]
        _, audit, _ = h.get("/api/audit?action=config_save")
        assert any(r["user"] == "admin" and "revert" in r["detail"] for r in audit["items"]), audit
        # unknown versions
        assert h.get("/api/config/versions/0000000000000000")[0] == 404
        status, body, _ = h.get("/api/config/diff?from=0000000000000000")
        assert status == 404 and body["error"]["field"] == "from"
        status, body, _ = h.get("/api/config/diff")
        assert status == 400 and body["error"]["field"] == "from"


def test_expression_check_answers_line_and_column():
    with WeirServer(system_config=system_config(), security_config=security_config()) as w:
        h = Http(w)
        h.login()
        status, ok, _ = h.post("/api/expression/check", {"expression": "WaterTank@TANK > 50", "kind": "rule"})
        assert status == 200 and ok == {"ok": True, "type": "boolean"}
        status, bad, _ = h.post("/api/expression/check",
                                {"expression": "WaterTank@TANK > 50 and WaterTank@TANKK < 3"})
        assert status == 200 and bad["ok"] is False
        assert bad["line"] == 1 and bad["column"] == 25 and "WaterTank@TANKK" in bad["error"], bad
        status, bad, _ = h.post("/api/expression/check",
                                {"expression": "WaterTank@DOOR == OPNED", "kind": "rule"})
        assert bad["ok"] is False and bad["column"] == 19, bad
        assert h.post("/api/expression/check", {"expression": "(value/100) * 120", "kind": "animation"})[1]["ok"]
        status, bad, _ = h.post("/api/expression/check",
                                {"expression": "send_command('WaterTank@NOPE', 'OPEN')", "kind": "action"})
        assert bad["ok"] is False and bad["column"] == 14, bad
        # bad input: each refused with its path
        for body, field in [({"expression": 5}, "expression"), ({"expression": "1", "kind": "sql"}, "kind"),
                            ({"expression": "1", "extra": True}, "extra"), ({}, "expression")]:
            status, err, _ = h.post("/api/expression/check", body)
            assert status == 400 and field in err["error"]["message"], (body, err)
        status, err, _ = h.post("/api/expression/check", {"expression": "1 + " * 5000})
        assert status == 413 and err["error"]["field"] == "expression"
