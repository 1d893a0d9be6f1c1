"""Commands: a command sent from the view shows ok in its feedback history."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_commands(weir):  # noqa: F811
    operate(weir, views=["commands"], checks=["command-feedback"])
