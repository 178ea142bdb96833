"""A Web Push endpoint on 127.0.0.1 that checks what a push service would: the VAPID token
(RFC 8292) against its key, and decrypts the message (RFC 8291) with http_ece, an
implementation independent of the service's. Prints one JSON line per push on stdout.

It prints first {"ready": ..., "ok": SUBSCRIPTION, "gone": SUBSCRIPTION}: two browser
subscriptions, the second on a path that answers 410 Gone.

It listens on a port of its own, which the endpoints name."""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


server = None
port = 0
origin = ""


def bind():
    global server, port, origin
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    origin = f"http://127.0.0.1:{port}"


keys = {}
subs = {}
# Pushes arrive together; one line each, never interleaved.
out_lock = threading.Lock()


def emit(value):
    with out_lock:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()


def make_subs():
    for name in ("ok", "gone"):
        key = ec.generate_private_key(ec.SECP256R1())
        auth = bytes(range(16)) if name == "ok" else bytes(range(16, 32))
        keys[name] = (key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        subs[name] = {
            "endpoint": f"{origin}/push/{name}",
            "keys": {"p256dh": b64e(public), "auth": b64e(auth)},
        }


def check_vapid(header):
    if not header.startswith("vapid "):
        return "no vapid scheme"
    parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
    token, k = parts["t"], parts["k"]
    head, claims, sig = token.split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
    raw = b64d(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    c = json.loads(b64d(claims))
    if c["aud"] != origin:
        return f"aud {c['aud']}"
    if not time.time() < c["exp"] <= time.time() + 86400:
        return "exp"
    if not c.get("sub"):
        return "no sub"
    return None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        name = self.path.rsplit("/", 1)[-1]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out = {"endpoint": name, "headers": {k.lower(): v for k, v in self.headers.items()}}
        try:
            out["vapid_error"] = check_vapid(self.headers.get("Authorization", ""))
        except Exception as e:
            out["vapid_error"] = f"{type(e).__name__}: {e}"
        try:
            key, auth = keys[name]
            plain = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
            out["payload"] = json.loads(plain)
        except Exception as e:
            out["decrypt_error"] = f"{type(e).__name__}: {e}"
        emit(out)
        self.send_response(410 if name == "gone" else 201)
        self.send_header("Content-Length", "0")
        self.end_headers()


bind()
make_subs()
emit({"ready": True, "port": port, **subs})
server.serve_forever()
