"""The error type the fake Bot API raises internally and serialises like Telegram."""

from __future__ import annotations

from typing import Any

__all__ = ["QUERY_TOO_OLD", "ApiError"]

#: answerCallbackQuery for an unknown, answered or expired query (and for a missing id).
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code": ..., "description": ...}``.

    ``parameters`` (e.g. ``{"retry_after": 5}``) is included in the response when given.
    """

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        """``400 Bad Request: <message>``."""
        return cls(400, f"Bad Request: {message}")

    @classmethod
    def forbidden(cls, message: str) -> ApiError:
        """``403 Forbidden: <message>``."""
        return cls(403, f"Forbidden: {message}")

    @classmethod
    def conflict(cls, message: str) -> ApiError:
        """``409 Conflict: <message>``."""
        return cls(409, f"Conflict: {message}")

    def to_json(self) -> dict[str, Any]:
        """The response body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.error_code}, {self.description!r})"
