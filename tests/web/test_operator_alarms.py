"""Alarms: a low tank puts pump_start_if_low_level in the banner and the active list; acknowledging
it from the banner reaches the server."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_alarms(weir):  # noqa: F811
    operate(weir, views=["alarms"], checks=["alarm-banner"])
