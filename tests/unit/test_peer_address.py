"""Which addresses the exchange may reach (app/domain/peer_address.py)."""

from __future__ import annotations

import ipaddress

import pytest

from app.domain.peer_address import (
    BadPeerUrl,
    PeerUrl,
    allowance,
    parse_peer_url,
    refusal,
    refusal_kind,
)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 around 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
        ("169.254.169.254", "link_local"),
        ("fe80::1", "link_local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("100.64.0.1", "private"),  # shared address space: not global
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "reserved"),
        ("::", "reserved"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
    ],
)
def test_internal_addresses_are_refused_with_their_kind(address, kind):
    assert refusal_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses_may_be_reached(address):
    assert refusal_kind(ipaddress.ip_address(address)) is None


def test_an_allowance_names_hosts_addresses_and_networks():
    allowed = allowance("127.0.0.1, 10.20.0.0/16 informat.LAN. [::1]")
    loopback = ipaddress.ip_address("127.0.0.1")
    assert refusal("anything", loopback, allowed) is None
    assert refusal("x", ipaddress.ip_address("127.0.0.2"), allowed) == "loopback"
    assert refusal("x", ipaddress.ip_address("10.20.9.9"), allowed) is None
    assert refusal("x", ipaddress.ip_address("10.21.0.1"), allowed) == "private"
    assert refusal("informat.lan", ipaddress.ip_address("10.99.0.1"), allowed) is None
    assert refusal("x", ipaddress.ip_address("::1"), allowed) is None
    assert refusal("x", ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    assert refusal("x", loopback, allowance(None)) == "loopback"
    assert refusal("x", loopback, allowance([])) == "loopback"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("https://Informat.Example/aanwezig", PeerUrl("https", "informat.example", 443)),
        ("http://informat.example.:8080/x", PeerUrl("http", "informat.example", 8080)),
        ("http://[::1]/", PeerUrl("http", "::1", 80)),
        ("http://2130706433/", PeerUrl("http", "2130706433", 80)),  # resolved later
        ("https://bücher.example/", PeerUrl("https", "xn--bcher-kva.example", 443)),
    ],
)
def test_an_address_is_parsed_to_scheme_host_and_port(text, parsed):
    assert parse_peer_url(text) == parsed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http://[::1", "syntax"),
        ("http://host:99999/", "syntax"),
        ("http://host:port/", "syntax"),
        ("http://host:0/", "port"),
        ("ftp://host/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http:///path", "host"),
        ("http://exa mple.org/", "host"),
        ("http://-bad-.example/", "host"),
        ("http://" + "a" * 64 + ".example/", "host"),
    ],
)
def test_a_bad_address_says_what_is_wrong_and_raises_nothing_else(text, reason):
    with pytest.raises(BadPeerUrl) as raised:
        parse_peer_url(text)
    assert raised.value.reason == reason
