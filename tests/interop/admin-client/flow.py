"""A typed client generated from the served OpenAPI description (openapi-python-client,
tests/api/generated_client.rs) drives the admin API: lists, creates, reads with the ETag,
updates with If-Match, and gets a parsed problem for a stale write.

Usage: flow.py BASE_URL TOKEN  (the generated package is on PYTHONPATH)
Prints one JSON object with what it saw.
"""

import json
import sys

from portcullis_admin_api_client import AuthenticatedClient
from portcullis_admin_api_client.api.clients import list_clients
from portcullis_admin_api_client.api.users import create_user, get_user, update_user
from portcullis_admin_api_client.models import ClientPage, Problem, UserInput, UserPatch, UserView

base_url, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base_url, token=token)
out = {}

page = list_clients.sync(client=client, limit=10)
assert isinstance(page, ClientPage), page
out["client_ids"] = [c.id for c in page.items]

created = create_user.sync(client=client, body=UserInput(username="generated", roles=["staff"]))
assert isinstance(created, UserView), created
out["created"] = created.username

read = get_user.sync_detailed(created.id, client=client)
etag = read.headers["etag"]
updated = update_user.sync_detailed(
    created.id, client=client, body=UserPatch(display_name="Generated"), if_match=etag
)
assert isinstance(updated.parsed, UserView), updated
out["display_name"] = updated.parsed.display_name

stale = update_user.sync_detailed(
    created.id, client=client, body=UserPatch(display_name="Again"), if_match=etag
)
assert isinstance(stale.parsed, Problem), stale
out["stale_status"] = stale.parsed.status
print(json.dumps(out))
