"""Headless Chromium driven over the DevTools protocol: open a page, read what it renders, print it to PDF,
and list every request it made.

Chromium comes from Debian's package (scripts/install-test-deps) and is started with the flags a sandboxed
test machine needs: no sandbox (we run as root in containers), no GPU, no QUIC, nothing in the background
(no component updates, sync or first-run work that would make requests of its own), and a fresh profile.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.system_programs import require_program

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
_TIMEOUT = 60.0


@dataclass
class RenderedPage:
    text: str  # document.body.innerText: the text as laid out, line breaks included
    requests: list[str]  # the URL of every request the page made, the page itself included
    exceptions: list[str]  # uncaught script errors (there should be no script at all)
    facts: dict[str, Any] = field(default_factory=dict)  # results of the expressions asked for
    pdf: bytes = b""


class _DevTools:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._new_event = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            payload = json.loads(message.data)
            if "id" in payload and payload["id"] in self._waiting:
                self._waiting.pop(payload["id"]).set_result(payload)
            else:
                self.events.append(payload)
                self._new_event.set()

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self._socket.send_str(json.dumps(message))
        reply = await asyncio.wait_for(future, _TIMEOUT)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    async def wait_for(self, method: str) -> dict[str, Any]:
        async with asyncio.timeout(_TIMEOUT):
            while True:
                for event in self.events:
                    if event.get("method") == method:
                        return event
                self._new_event.clear()
                await self._new_event.wait()

    async def close(self) -> None:
        self._reader.cancel()
        await self._socket.close()


@asynccontextmanager
async def chromium() -> AsyncIterator[_Browser]:
    binary = require_program("chromium", "chromium-browser")
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert process.stderr is not None
            url = await asyncio.wait_for(_devtools_url(process.stderr), _TIMEOUT)
            async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as socket:
                devtools = _DevTools(socket)
                try:
                    yield _Browser(devtools)
                finally:
                    await devtools.close()
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()


async def _devtools_url(stderr: asyncio.StreamReader) -> str:
    while line := await stderr.readline():
        found = _LISTENING.search(line.decode(errors="replace"))
        if found:
            return found.group(1)
    raise RuntimeError("Chromium exited before it was ready")


class _Browser:
    def __init__(self, devtools: _DevTools) -> None:
        self._devtools = devtools

    async def render(self, path: Path, *, facts: dict[str, str] | None = None, pdf: bool = False) -> RenderedPage:
        """Open ``path``, wait for it to load, and read it back. ``facts``: name -> JavaScript expression."""
        devtools = self._devtools
        target = await devtools.send("Target.createTarget", {"url": "about:blank"})
        session = (await devtools.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))[
            "sessionId"
        ]
        devtools.events.clear()
        for domain in ("Network", "Page", "Runtime"):
            await devtools.send(f"{domain}.enable", session=session)
        await devtools.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        await devtools.wait_for("Page.loadEventFired")
        await asyncio.sleep(0.5)  # anything a page would do after load (an onerror, a timer) has had its chance

        async def evaluate(expression: str) -> Any:
            result = await devtools.send(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
            )
            return result["result"].get("value")

        def events(method: str) -> list[dict[str, Any]]:
            return [event["params"] for event in devtools.events if event.get("method") == method]

        page = RenderedPage(
            text=await evaluate("document.body.innerText"),
            requests=[params["request"]["url"] for params in events("Network.requestWillBeSent")],
            exceptions=[json.dumps(params) for params in events("Runtime.exceptionThrown")],
            facts={name: await evaluate(expression) for name, expression in (facts or {}).items()},
        )
        if pdf:
            printed = await devtools.send("Page.printToPDF", {"printBackground": False}, session=session)
            page.pdf = base64.b64decode(printed["data"])
        await devtools.send("Target.closeTarget", {"targetId": target["targetId"]})
        return page
