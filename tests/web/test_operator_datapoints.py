"""Datapoints: 100,000 virtualised rows take live updates while scrolling; a lost live connection
marks the data stale and reconnects with a fresh snapshot."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_datapoints(weir):  # noqa: F811
    operate(weir, views=["datapoints"], checks=["datapoints-load", "stale-reconnect"])
