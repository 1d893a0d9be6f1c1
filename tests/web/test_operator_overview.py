"""The operator app's Overview (Chromium, real demo weir): drivers online, alarms by priority, key
values that follow the plant with sparklines; screenshots at 1440/1024, light/dark; no request
leaves 127.0.0.1."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_overview(weir):  # noqa: F811
    operate(weir, views=["overview"], checks=["overview-live"])
