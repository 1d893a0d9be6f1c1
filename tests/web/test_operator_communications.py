"""Communications: disconnecting a driver shows it offline; connecting brings it back online."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_communications(weir):  # noqa: F811
    operate(weir, views=["communications"], checks=["driver-control"])
