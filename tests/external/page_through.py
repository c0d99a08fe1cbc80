#!/usr/bin/env python3
"""Pages through `defender-odata serve` as a Defender integration would.

With Python's `requests`: a bearer token, a `$filter`, then every
`@odata.nextLink` until there is none; a 429 is waited out for its
`Retry-After`. Checks that every action arrives exactly once, that the
count the first page announced is what arrived, and that each page's
actions match the filter.

    python3 tests/external/page_through.py BASE_URL TOKEN

Exit status 0 when every check holds, 1 otherwise.
"""

import sys
import time

import requests

FILTER = "status ne 'Cancelled' and creationDateTimeUtc ge 2018-01-01T00:00:00Z"


def fetch(session, url, params=None):
    """GET `url`, waiting out 429s as the service asks."""
    for _ in range(10):
        response = session.get(url, params=params, timeout=60)
        if response.status_code != 429:
            response.raise_for_status()
            return response.json()
        time.sleep(int(response.headers["Retry-After"]))
    raise RuntimeError(f"still throttled after 10 tries: {url}")


def main(base_url, token):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    page = fetch(
        session,
        f"{base_url}/api/machineactions",
        params={"$filter": FILTER, "$count": "true"},
    )
    announced = page["@odata.count"]
    seen = set()
    pages = 0
    while True:
        pages += 1
        for action in page["value"]:
            if action["id"] in seen:
                print(f"action {action['id']} arrived twice", file=sys.stderr)
                return 1
            if action["status"] == "Cancelled":
                print(f"action {action['id']} does not match the filter", file=sys.stderr)
                return 1
            seen.add(action["id"])
        link = page.get("@odata.nextLink")
        if link is None:
            break
        if not link.startswith(base_url):
            print(f"the next link leaves the server: {link}", file=sys.stderr)
            return 1
        page = fetch(session, link)
    if len(seen) != announced:
        print(f"{len(seen)} actions arrived, the count said {announced}", file=sys.stderr)
        return 1
    print(f"{len(seen)} actions in {pages} pages, each once")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: page_through.py BASE_URL TOKEN", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2]))
