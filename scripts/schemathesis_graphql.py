"""Schemathesis hooks for the GraphQL run of scripts/schemathesis.sh.

Schemathesis' own `not_a_server_error` counts every GraphQL error with a
`path` as a resolver failure unless it carries an Apollo or graphql-java
marker. Our errors say what they are instead: `extensions.status` is the
HTTP status REST answers for the same error (404 for another user's job, 400
for a bad program), so a server fault is exactly an HTTP 5xx or an error
whose `status` is 5xx. Every error must also carry `extensions.code`.
"""

import schemathesis


@schemathesis.check
def graphql_no_server_error(ctx, response, case):
    """No HTTP 5xx; every GraphQL error has a code and a status below 500."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    body = response.json()
    for error in body.get("errors") or []:
        ext = error.get("extensions") or {}
        if not isinstance(ext.get("code"), str):
            raise AssertionError(f"error without extensions.code: {error}")
        status = ext.get("status")
        if not isinstance(status, int) or status >= 500:
            raise AssertionError(f"server error: {error}")
