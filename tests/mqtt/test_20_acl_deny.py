"""Deny rules inside a granted wildcard (Security issue, item 11): the Eclipse Paho
interoperability suite's test_subscribe_failure expects everything allowed but subscribing to
`test/nosubscribe`. weir: security_config.json grants anonymous clients `#` and denies that one
topic; a subscription to it is refused (3.1.1: 0x80, 5.0: 0x87), and a wider subscription never
delivers it."""
import pytest

import paho_client
from conftest import BROKER_KIND, WeirBroker

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="deny rules are weir's security configuration")

DENY = {"groups": [], "users": [], "mqtt": {"allow_anonymous": True,
                 "anonymous": {"publish": ["#"], "subscribe": ["#"], "deny_subscribe": ["test/nosubscribe"]}}}


@pytest.fixture(scope="module")
def deny_broker():
    b = WeirBroker(security_config=DENY).start()
    yield b
    b.stop()


@pytest.mark.parametrize("version,refused", [(paho_client.V311, 0x80), (paho_client.V5, 0x87)])
def test_subscribe_failure_inside_a_granted_wildcard(deny_broker, version, refused):
    with paho_client.Client(deny_broker, version=version) as c:
        assert c.subscribe("test/nosubscribe", qos=2) == [refused]
        assert c.subscribe("test/allowed", qos=2) == [2]


def test_a_wider_subscription_never_delivers_the_denied_topic(deny_broker):
    with paho_client.Client(deny_broker) as reader, paho_client.Client(deny_broker) as writer:
        assert reader.subscribe("test/#", qos=1) == [1]
        writer.publish("test/nosubscribe", b"secret", qos=1, retain=True)
        writer.publish("test/open", b"hello", qos=1)
        m = reader.get()
        assert (m.topic, m.payload) == ("test/open", b"hello")
        reader.expect_none(within=0.3)
    # Retained: a new subscriber to # gets nothing from the denied topic either.
    with paho_client.Client(deny_broker) as late:
        late.subscribe("#", qos=1)
        late.expect_none(within=0.5)
