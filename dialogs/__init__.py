"""Crossroads' platform-free core: content, scoring, the dialog machine, the engine and storage.

Nothing in this package imports ``telegram``; the Telegram adapter and the console chat in
``bot`` both drive the same :class:`dialogs.engine.DialogEngine`.
"""
