"""``GET /metrics`` in polling mode, on METRICS_PORT (the webhook server serves it on its own port).

A module of its own so that aiohttp's server side is imported only where it is used: a poller
without METRICS_PORT never loads it (about 15 ms of every start).
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import METRICS_PATH, Metrics


async def start_metrics_server(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """Serve ``GET /metrics`` on ``host:port`` (polling mode); stop it with ``runner.cleanup()``."""

    async def scrape(request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    application = web.Application()
    application.router.add_get(METRICS_PATH, scrape)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
