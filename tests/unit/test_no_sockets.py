"""The unit-test folder refuses sockets (tests/unit/conftest.py): proven by trying to open one."""
from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketBlockedError

pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")


def test_a_unit_test_cannot_open_a_socket():
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_a_unit_test_cannot_reach_aws_through_boto3(monkeypatch):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import HTTPClientError

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    client = boto3.client("dynamodb", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(HTTPClientError) as refused:
        client.list_tables()
    assert isinstance(refused.value.kwargs["error"], SocketBlockedError)
