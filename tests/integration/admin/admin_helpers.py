"""A client for the admin API that signs with the local admin credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from http_client import HttpResult, request, signed_request
from sglocal.sigv4 import AdminCredentials


@dataclass
class AdminApi:
    """The admin API's base URL and the credentials that sign requests to it."""

    base_url: str
    credentials: AdminCredentials

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/admin")

    def call(self, method: str, path: str, body: Any = None) -> HttpResult:
        return signed_request(
            method, self.base_url + path, self.credentials.access_key_id, self.credentials.secret_access_key, body
        )

    def with_key(self, method: str, path: str, key: str, body: Any = None) -> HttpResult:
        """Call with a tenant API key, as a tenant would try to."""
        return request(method, self.base_url + path, key=key, body=body)
