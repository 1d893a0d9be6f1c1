"""Devices: the two demo microcontrollers are shown with presence and controls."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_devices(weir):  # noqa: F811
    operate(weir, views=["devices"], checks=["devices-listed"])
