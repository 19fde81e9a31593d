"""Session stores: the storage ports of :mod:`dialogs.storage`, on SQLite (aiosqlite, one process)
and PostgreSQL (asyncpg, several workers). The composition root (:mod:`bot.wiring`) picks one from
DATABASE_URL."""
