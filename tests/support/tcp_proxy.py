"""An asyncio TCP proxy that can simulate a broker outage: pause drops every connection and turns
new ones away, resume lets them through again. The address it listens on never changes, so a
broker can advertise it as its listener and clients never learn the real port.
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    """Forward ``host:port`` (chosen at start) to ``target_host:target_port``."""

    def __init__(
        self, target_host: str, target_port: int, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = port
        self.paused = False
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._drop_all()

    async def pause(self) -> None:
        """The outage begins: close every open connection and refuse new ones from now on."""
        self.paused = True
        await self._drop_all()

    def resume(self) -> None:
        """The outage ends: new connections reach the target again."""
        self.paused = False

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, as when a broker host goes away
        self._writers.clear()
        for task in list(self._pipes):
            task.cancel()
        for task in list(self._pipes):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._pipes.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.paused:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        self._writers.update((writer, up_writer))
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                if self.paused:
                    break
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if self.paused:
                dst.transport.abort()
            else:
                dst.close()
            self._writers.discard(dst)
