"""Schemathesis hooks for the admin API run (tests/api/schemathesis.rs).

The fuzzer may revoke its own client's tokens (POST /clients/{id}/revoke-tokens with the
id it read from the token) or rotate the signing keys with revoke_previous: a fixed token
would then be refused for the rest of the run. So it authenticates like a real machine
client: a fresh client credentials token from the server, renewed every second.
"""

import os

import requests
import schemathesis


@schemathesis.auth(refresh_interval=1)
class AdminToken:
    def get(self, case, ctx):
        res = requests.post(
            os.environ["PORTCULLIS_TOKEN_URL"],
            data={"grant_type": "client_credentials"},
            auth=(os.environ["PORTCULLIS_CLIENT_ID"], os.environ["PORTCULLIS_CLIENT_SECRET"]),
            timeout=10,
        )
        res.raise_for_status()
        return res.json()["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
