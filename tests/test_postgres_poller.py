"""The poller lock across a database blip: the lock dies with its connection, so the holder
takes it again once the database answers, or learns that another process has it now."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from bot.storage.postgres import PostgresSessionStore
from dialogs.errors import StorageError
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.postgres


async def test_the_poller_lock_is_taken_again_or_lost_after_a_blip(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    async with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        through_proxy = postgres_url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
        holder, other = PostgresSessionStore(through_proxy), PostgresSessionStore(postgres_url)
        await holder.open()
        await other.open()
        try:
            assert not await other.check_poller()  # never claimed: not ours
            assert await holder.claim_poller()
            assert await holder.check_poller()
            lost, holder._poller = holder._poller, None  # noqa: SLF001 - as if its connection were lost to us
            assert await holder.check_poller()  # but the server still has that session, so the lock is ours
            holder._poller = lost  # noqa: SLF001

            proxy.cut()
            with pytest.raises(StorageError):
                await holder.check_poller()  # unknown while the database is away
            proxy.restore()
            assert await holder.check_poller()  # nobody took it meanwhile: taken again
            assert not await other.claim_poller()

            proxy.cut()
            with pytest.raises(StorageError):
                await holder.check_poller()
            async with asyncio.timeout(10):  # the slot is free once the server saw the connection drop
                while not await other.claim_poller():
                    await asyncio.sleep(0.05)
            proxy.restore()
            assert not await holder.check_poller()  # another process has it now
            assert not await holder.check_poller()
            assert await other.check_poller()
        finally:
            await holder.close()
            await other.close()
