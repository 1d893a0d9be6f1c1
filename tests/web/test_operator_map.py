"""Map: the offline base layer with GIS icons; esp32's icon changes when esp32@PRESENCE does, and
no site label of the base layer is hidden under a marker."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_map(weir):  # noqa: F811
    operate(weir, views=["map"], checks=["map-icon"])
