"""Tracking: recent events, and a command followed end to end by its correlation id."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_tracking(weir):  # noqa: F811
    operate(weir, views=["tracking"], checks=["tracking-follow"])
