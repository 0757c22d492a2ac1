"""A minimal HTTP/3 client (aioquic) for the tests: one GET over QUIC, trusting one CA.

Debian's curl has no HTTP/3, so the tests speak QUIC themselves to prove that
UDP 443 is published and that Caddy answers h3 there with the stack's certificate.
"""

import asyncio

from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration


class _Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = H3Connection(self._quic)
        self._stream_id = None
        self._done = asyncio.get_running_loop().create_future()
        self._headers = {}
        self._body = bytearray()

    async def get(self, authority, path):
        self._stream_id = self._quic.get_next_available_stream_id()
        headers = [
            (b":method", b"GET"),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
            (b":path", path.encode()),
            (b"user-agent", b"pifleet-tests"),
        ]
        self._http.send_headers(self._stream_id, headers, end_stream=True)
        self.transmit()
        return await self._done

    def quic_event_received(self, event):
        for http_event in self._http.handle_event(event):
            if getattr(http_event, "stream_id", None) != self._stream_id:
                continue
            if isinstance(http_event, HeadersReceived):
                self._headers.update(http_event.headers)
            elif isinstance(http_event, DataReceived):
                self._body.extend(http_event.data)
            if http_event.stream_ended and not self._done.done():
                self._done.set_result((self._headers, bytes(self._body)))


async def _get(address, port, name, path, *, cafile, timeout):
    configuration = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=name)
    configuration.load_verify_locations(cafile)
    async with connect(
        address, port, configuration=configuration, create_protocol=_Client
    ) as client:
        return await asyncio.wait_for(client.get(name, path), timeout)


def get(address, name, path="/", *, cafile, port=443, timeout=10.0):
    """GET https://name/path over HTTP/3 from address:port (UDP). Returns (status, headers, body).

    Fails (TimeoutError, ConnectionError or an SSL error) when nothing answers QUIC
    there or the certificate does not chain to `cafile`.
    """
    coroutine = _get(address, port, name, path, cafile=cafile, timeout=timeout)
    headers, body = asyncio.run(asyncio.wait_for(coroutine, timeout + 5))
    return int(headers[b":status"]), headers, body
