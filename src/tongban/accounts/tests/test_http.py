import pytest

from tongban.accounts.http import client_ip

pytestmark = pytest.mark.django_db  # the autouse throttle reset clears the database cache


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("127.0.0.1", "", "127.0.0.1"),
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),  # nginx on the private network
        ("10.0.0.5", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged first entry is ignored
        ("1.2.3.4", "6.6.6.6", "1.2.3.4"),  # straight from the internet: no trust in the header
        ("10.0.0.5", "garbage", "10.0.0.5"),
        ("", "", None),
    ],
)
def test_client_ip(rf, remote, forwarded, expected):
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
