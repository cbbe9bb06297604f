"""The Sentinel form of REDIS_URL, read alike by the bot and the workers."""

from __future__ import annotations

import pytest

from workers.contracts import SentinelAddress, sentinel_address


def test_a_plain_redis_url_is_no_sentinel_address():
    assert sentinel_address("redis://127.0.0.1:6379/0", None) is None
    assert sentinel_address("redis://127.0.0.1:6379/0", " ") is None


def test_the_sentinels_and_the_masters_login():
    address = sentinel_address("sentinel://:s%40cret@10.0.0.1:26380/3;sentinel://10.0.0.2;SENTINEL://h3:5000",
                               " mymaster ")
    assert address == SentinelAddress(master="mymaster", db=3, password="s@cret",
                                      sentinels=(("10.0.0.1", 26380), ("10.0.0.2", 26379), ("h3", 5000)))
    assert address.master_kwargs() == {"db": 3, "password": "s@cret"}
    named = sentinel_address("sentinel://bot:pw@h:26379", "m")
    assert named.master_kwargs() == {"db": 0, "username": "bot", "password": "pw"}


@pytest.mark.parametrize("url, master, words", [
    ("sentinel://h:26379", None, "set REDIS_SENTINEL_MASTER"),
    ("redis://h:6379/0", "mymaster", "not a sentinel:// URL"),
    ("sentinel://h:26379;redis://h2:6379", "m", "is not sentinel://host:port"),
    ("sentinel://:pw@h:port", "m", "has no valid port"),
    ("sentinel://h:26379/zero", "m", "not a whole number"),
    ("sentinel://:/0", "m", "is not sentinel://host:port"),
])
def test_what_does_not_go_together_is_one_clear_line(url, master, words):
    with pytest.raises(ValueError, match=words) as caught:
        sentinel_address(url, master)
    assert "\n" not in str(caught.value) and "pw@" not in str(caught.value)  # the password stays out
