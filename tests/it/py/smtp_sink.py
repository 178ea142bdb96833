"""A real SMTP server on 127.0.0.1 (aiosmtpd) that writes each message it receives as one
JSON line on stdout: envelope, decoded headers, plain text and HTML parts.

It listens on a port of its own and says which in its first line: {"ready": true, "port": N}."""
import asyncio
import email
import email.policy
import json

from aiosmtpd.smtp import SMTP


class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        plain = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "text": plain.get_content() if plain else None,
            "html": html.get_content() if html else None,
        }), flush=True)
        return "250 OK"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink()), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"ready": True, "port": port}), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
