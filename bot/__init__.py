"""Crossroads' adapters and wiring: settings, the Telegram front end, the console chat."""
