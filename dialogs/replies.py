"""What the engine answers: platform-free replies with light formatting and buttons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from dialogs.analytics import Figures, UsageEvent
from dialogs.events import Event
from dialogs.session import Session


class Style(str, Enum):
    """Light formatting that every front end can render (or ignore)."""

    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    QUOTE = "quote"
    #: A quotation shown collapsed until tapped (Telegram's expandable blockquote).
    EXPANDABLE_QUOTE = "expandable_quote"
    #: A date (``Span.at``); the text is its plain form, for front ends that cannot show a date
    #: in the reader's own locale (Telegram's date_time entity can).
    DATE = "date"


class Tone(str, Enum):
    """How much a button stands out, for front ends that colour buttons (Telegram's ``style``)."""

    #: Neutral: "Not sure", "Start over", Back, menus.
    PLAIN = "plain"
    #: The message's main action (the answers to a question, the next step).
    MAIN = "main"
    #: Agreeing or confirming ("Yes, it feels right").
    GOOD = "good"
    #: Deleting something ("Yes, delete everything").
    DANGER = "danger"


class Role(str, Enum):
    """What a reply is for; front ends use it to decide how to deliver it."""

    QUESTION = "question"
    RESULT = "result"
    INFO = "info"


@dataclass(frozen=True)
class Span:
    """A run of text in one style; front ends escape it themselves."""

    text: str
    style: Style = Style.PLAIN
    #: For ``Style.DATE``: the moment shown (epoch seconds).
    at: float | None = None


#: The most a copy button may copy (Telegram's CopyTextButton: 1-256 characters).
COPY_LIMIT = 256


@dataclass(frozen=True)
class Button:
    """A button label and the event pressing it produces. ``shortcut`` is what a person can type
    instead of pressing it (an answer's number, a command), for front ends without buttons."""

    label: str
    event: Event
    shortcut: str = ""
    tone: Tone = Tone.PLAIN
    #: Text the button copies to the clipboard, for front ends that can (Telegram's copy_text;
    #: at most COPY_LIMIT characters); such a button sends no event there.
    copies: str = ""


@dataclass(frozen=True)
class ResultCard:
    """What a result picture shows: the headline and (path name, score, ruled out) bars."""

    headline: str
    bars: tuple[tuple[str, int, bool], ...]
    ruled_out: str
    #: The line inviting whoever sees a shared card to take the quiz, in the person's language.
    invite: str = ""


@dataclass(frozen=True)
class Reply:
    """One message to show: styled spans and rows of buttons; a result may carry a card that
    front ends able to show pictures draw and send with it."""

    spans: tuple[Span, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    role: Role = Role.INFO
    card: ResultCard | None = None
    #: The operator's funnel (dialogs.operator_report), for front ends that draw pictures.
    funnel: Figures | None = None

    @property
    def plain_text(self) -> str:
        """The text without formatting."""
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Outcome:
    """The engine's answer to one event.

    ``closed_prompt`` is the question the person just answered, re-rendered with their choice
    and no buttons, for front ends that can edit the message that asked it. ``notice`` is a
    short acknowledgement for a button press (a toast on Telegram). ``checkin`` asks for a
    check-in reminder about this recommended path (the service stores it).
    """

    session: Session
    replies: tuple[Reply, ...] = ()
    changed: bool = False
    closed_prompt: Reply | None = None
    notice: str = ""
    forget: bool = False
    checkin: str | None = None
    #: Anonymous usage events to append to the log (see dialogs.analytics).
    usage: tuple[UsageEvent, ...] = ()
