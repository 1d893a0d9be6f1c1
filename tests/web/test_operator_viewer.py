"""The operator app for a viewer-only user (permission `view` only): every control is shown
disabled, and the server refuses the same actions anyway (403). No request leaves 127.0.0.1."""
from operator_support import VIEWER_PASSWORD, add_viewer, operate, weir  # noqa: F401 (weir: the fixture)


def test_viewer_sees_controls_disabled_and_is_refused(weir):  # noqa: F811
    add_viewer(weir)
    report = operate(weir, user="viewer", password=VIEWER_PASSWORD, role="viewer", views=["graphics"],
                     checks=["viewer-disabled", "viewer-refused"])
    assert set(report["refused"].values()) == {403}
