"""Round trips to PostgreSQL, counted on the wire: a loopback proxy in front of the server that reads what the
client sends.

In PostgreSQL's protocol (https://www.postgresql.org/docs/current/protocol-flow.html) a client waits for the
server after each simple Query ('Q') and after each Sync ('S') that ends an extended-protocol exchange (Parse,
Bind, Execute...). Their number is the number of round trips, whatever the driver does inside: a count that
does not depend on how busy the machine is.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import struct
from collections.abc import AsyncIterator

PROTOCOL_3 = 196608  # the startup message's version code; an SSLRequest or GSSENCRequest comes before it


class WireCounter:
    """A TCP proxy to ``host:port`` on a free loopback port; ``messages`` counts the client's messages by type."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.messages: collections.Counter[str] = collections.Counter()
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def round_trips(self) -> int:
        return self.messages["Q"] + self.messages["S"]

    def dsn(self, dsn: str, server_port: int) -> str:
        """``dsn`` through the proxy."""
        return dsn.replace(f":{server_port}/", f":{self.port}/")

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        server, to_server = await asyncio.open_connection(*self._target)
        await asyncio.gather(self._upstream(client, to_server), _pipe(server, to_client), return_exceptions=True)

    async def _upstream(self, client: asyncio.StreamReader, to_server: asyncio.StreamWriter) -> None:
        pending = b""
        started = False
        try:
            while data := await client.read(65536):
                to_server.write(data)
                pending += data
                while True:
                    if not started:  # untyped: (length, code, ...)
                        if len(pending) < 8 or len(pending) < struct.unpack("!i", pending[:4])[0]:
                            break
                        length, code = struct.unpack("!ii", pending[:8])
                        pending = pending[length:]
                        started = code == PROTOCOL_3
                        continue
                    if len(pending) < 5 or len(pending) < 1 + struct.unpack("!i", pending[1:5])[0]:
                        break
                    self.messages[chr(pending[0])] += 1
                    pending = pending[1 + struct.unpack("!i", pending[1:5])[0] :]
                await to_server.drain()
        finally:
            to_server.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        sink.close()


@contextlib.asynccontextmanager
async def counting(host: str, port: int) -> AsyncIterator[WireCounter]:
    counter = WireCounter(host, port)
    await counter.start()
    try:
        yield counter
    finally:
        await counter.close()
