import socket

import pytest


def test_opening_a_socket_fails_in_tests():
    with pytest.raises(RuntimeError, match="must not open network connections"):
        socket.create_connection(("example.com", 80), timeout=1)
    s = socket.socket()
    try:
        with pytest.raises(RuntimeError, match="must not open network connections"):
            s.connect(("127.0.0.1", 9))
    finally:
        s.close()


def test_importing_the_package_opens_no_socket():
    import importlib

    import longrange_datasets

    importlib.reload(longrange_datasets)
