"""Process graphics: the tank level follows the plant; clicking the pump asks for confirmation,
sends its command and shows ok."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_graphics(weir):  # noqa: F811
    operate(weir, views=["graphics"], checks=["tank-level", "pump-command"])
