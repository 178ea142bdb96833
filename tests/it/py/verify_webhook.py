"""Verifies one webhook delivery with the Standard Webhooks reference library.

Reads {"secret", "headers", "body"} as JSON on stdin; prints the verified payload as JSON,
or exits 1 with the library's error."""
import json
import sys

from standardwebhooks.webhooks import Webhook

req = json.load(sys.stdin)
try:
    payload = Webhook(req["secret"]).verify(req["body"], req["headers"])
except Exception as e:  # the library's own verification errors
    print(f"{type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(payload))
