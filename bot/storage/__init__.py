"""Session stores: the storage ports of :mod:`dialogs.storage`, in memory (tests, and a console that
need not remember), on SQLite (aiosqlite, one process) and PostgreSQL (asyncpg, several workers;
the only one with the optional poller slot). The composition root (:mod:`bot.wiring`) picks SQLite
or PostgreSQL from DATABASE_URL."""
