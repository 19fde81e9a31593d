"""Issue 10 in the dialog core: a result that fits one screen, a /why that adds up, what would
change it, changing one answer, the plan, share links and the result card."""

from __future__ import annotations

import io
import itertools
import random
import string

import pytest

from bot.content_files.loader import normalise_whitespace
from bot.deep_link import MAX_PAYLOAD, decode_payload, encode_payload, share_key
from bot.result_card import HEIGHT, WIDTH, draw_card
from dialogs.commands import parse_input
from dialogs.content import NOT_SURE, PATH_IDS, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import ResultCard, Role, Style
from dialogs.scoring import score
from dialogs.session import EXPLAINING, RESULT, Session, changing_state
from dialogs.views import Views
from dialogs.what_if import smallest_change
from tests.conftest import all_answer_sets, all_text, first_options, session_at

MAX_VISIBLE = 700
KEY = share_key("123:test-token-for-share-links")


def visible_length(reply) -> int:  # type: ignore[no-untyped-def]
    return sum(len(span.text) for span in reply.spans if span.style is not Style.EXPANDABLE_QUOTE)


def result_reply(engine: DialogEngine, content: Content, answers):  # type: ignore[no-untyped-def]
    return engine.handle(session_at(content, list(answers)), Event(EventKind.START)).replies[-1]


# -- one phone screen ------------------------------------------------------------------------------
def test_visible_result_fits_one_screen_for_every_answer_set(content: Content, engine: DialogEngine) -> None:
    longest = 0
    for answers in all_answer_sets(content):
        reply = result_reply(engine, content, answers)
        assert reply.role is Role.RESULT and reply.card is not None
        longest = max(longest, visible_length(reply))
    print(f"\nlongest visible result: {longest} characters")
    assert longest < MAX_VISIBLE


def test_results_with_unsure_answers_fit_too(content: Content, engine: DialogEngine) -> None:
    rng = random.Random(20261127)
    choices = [[o.id for o in q.choices] for q in content.questions]
    for _ in range(400):
        answers = [(q.id, rng.choice(options)) for q, options in zip(content.questions, choices)]
        assert visible_length(result_reply(engine, content, answers)) < MAX_VISIBLE, answers


def test_the_answers_someone_was_unsure_of_are_named_as_a_list(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    unsure = content.questions[1:4]
    for question in unsure:
        answers[content.questions.index(question)] = (question.id, NOT_SURE)
    said = result_reply(engine, content, answers).plain_text
    topics = f"{unsure[0].topic}, {unsure[1].topic} and {unsure[2].topic}"
    assert content.texts.render("result_unsure", topics=topics) in said


def test_numbers_read_naturally(content: Content) -> None:
    views = Views(content)
    assert views.points(1) == "1 point" and views.points(3) == "3 points" and views.points(0) == "0 points"


def test_deciding_answers_are_named(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    text = result_reply(engine, content, answers).plain_text
    assert content.texts["result_decided_title"] in text
    decided = [line for line in text.splitlines() if line.startswith("•")]
    assert 2 <= len(decided) <= 3


# -- /why adds up ------------------------------------------------------------------------------------
def test_why_lists_gains_per_path_that_sum_to_the_scores(content: Content, engine: DialogEngine) -> None:
    for answers in itertools.islice(all_answer_sets(content), 0, None, 97):
        result = score(content, answers)
        text = engine.handle(session_at(content, list(answers)), Event(EventKind.WHY)).replies[0].plain_text
        sums = dict.fromkeys(PATH_IDS, 0)
        names = {content.paths[p].name: p for p in PATH_IDS}
        order = []
        for contribution in result.contributions:
            line = content.texts.render("why_line", factor=contribution.question.factor,
                                        answer=contribution.option.label, gains=engine.views.gains(contribution))
            assert line in text
            order.append(text.index(line))
            for name, path_id in names.items():
                gain = content.texts.render("why_gain", points=contribution.points(path_id), path=name)
                if contribution.points(path_id):
                    assert gain in line
                    sums[path_id] += contribution.points(path_id)
        assert sums == dict(result.scores)
        for path_id in PATH_IDS:
            total = content.texts.render("why_total", path=content.paths[path_id].name,
                                         points=engine.views.points(result.scores[path_id]))
            assert total in text
        # ordered by how much each answer moved the winner against the runner-up
        best, rival = result.recommended, result.runner_up
        moved = [c.points(best) - (c.points(rival) if rival else 0) for c in result.contributions]
        by_position = [m for _, m in sorted(zip(order, moved))]
        assert by_position == sorted(moved, reverse=True)


# -- what would change it --------------------------------------------------------------------------
def test_smallest_change_really_changes_the_result_and_is_minimal(content: Content) -> None:
    checked = 0
    for answers in itertools.islice(all_answer_sets(content), 0, None, 23):
        base = score(content, answers).recommended
        flip = smallest_change(content, answers)
        singles = [
            score(content, [a if i != p else (a[0], o.id) for i, a in enumerate(answers)]).recommended
            for p, question in enumerate(content.questions) for o in question.options if o.id != answers[p][1]
        ]
        if flip is None:
            assert all(r == base for r in singles)
            continue
        changed = dict(answers)
        for change in flip.changes:
            changed[change.question.id] = change.option.id
        new = score(content, list(changed.items()))
        assert new.recommended == flip.path != base
        assert (len(flip.changes) == 1) == any(r != base for r in singles)
        checked += 1
    assert checked > 50


def test_flip_is_named_concretely_in_the_result(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    flip = smallest_change(content, answers)
    assert flip is not None
    text = result_reply(engine, content, answers).plain_text
    change = flip.changes[0]
    assert f"\"{change.option.label}\"" in text and change.question.topic in text
    assert content.paths[flip.path].name in text.split(change.option.label, 1)[1]


def test_excluded_paths_stay_excluded_in_what_if(content: Content) -> None:
    """With learning "No" and no job, only one path is possible; no other answer to an
    unrelated question can make an excluded path lead."""
    answers = []
    for question in content.questions:
        pick = {"learning": "not_now", "income": "no_job"}.get(question.id, question.options[0].id)
        answers.append((question.id, pick))
    flip = smallest_change(content, answers)
    assert flip is not None
    touched = {c.question.id for c in flip.changes}
    assert touched & {"learning", "income"}  # only lifting a rule can change a one-path result


# -- change one answer -------------------------------------------------------------------------------
def test_change_an_answer_by_buttons(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    session = session_at(content, answers)
    menu = engine.handle(session, Event(EventKind.CHANGE, via_button=True))
    (reply,) = menu.replies
    changes = [b for row in reply.buttons for b in row if b.event.kind is EventKind.CHANGE]
    assert len(changes) == len(content.questions)
    assert content.questions[2].options[0].label in changes[2].label
    asked = engine.handle(session, changes[2].event)
    assert asked.session.state == changing_state(content.questions[2].id)
    assert asked.replies[-1].role is Role.QUESTION
    new_option = content.questions[2].options[2]
    answer = next(b.event for row in asked.replies[-1].buttons for b in row if b.event.option == new_option.id)
    done = engine.handle(asked.session, answer)
    assert done.session.state == RESULT
    expected = [a if i != 2 else (a[0], new_option.id) for i, a in enumerate(answers)]
    assert list(done.session.answers) == expected
    new_result = score(content, expected)
    since, _, rest = done.replies[-1].plain_text.partition("\n\n")
    assert content.questions[2].topic in since  # what changed since the result before
    assert rest.startswith(content.texts.render("result_headline", path=content.paths[new_result.recommended].name))
    # The change menu's buttons are stale after a restart, and the old answer button too.
    restarted = engine.handle(done.session, Event(EventKind.RESTART))
    stale = engine.handle(restarted.session, changes[4].event)
    assert not stale.changed and stale.notice == content.texts["stale_button"]
    assert not engine.handle(done.session, answer).changed


def test_change_an_answer_by_typing(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    session = session_at(content, answers)
    menu = engine.handle(session, Event(EventKind.TEXT, text="change an answer"))
    assert content.texts["change_menu"] in all_text(menu) and menu.session == session
    asked = engine.handle(session, parse_input("/change 2"))
    assert asked.session.state == changing_state(content.questions[1].id)
    by_factor = engine.handle(session, parse_input("/change risk tolerance"))
    assert by_factor.session.state == changing_state("risk")
    done = engine.handle(asked.session, Event(EventKind.TEXT, text="ups and downs don't bother me"))
    assert done.session.state == RESULT and dict(done.session.answers)["risk"] == "variable_ok"
    assert len(done.session.answers) == len(content.questions)
    # Back while changing returns to the result with nothing changed.
    back = engine.handle(asked.session, Event(EventKind.TEXT, text="go back"))
    assert back.session.state == RESULT and back.session.answers == session.answers


def test_change_before_the_result_is_not_ready(content: Content, engine: DialogEngine) -> None:
    mid = session_at(content, first_options(content, 3))
    outcome = engine.handle(mid, Event(EventKind.CHANGE, text="2"))
    assert not outcome.changed and content.texts["result_not_ready"] in all_text(outcome)


def test_a_changing_session_survives_a_reload(content: Content, engine: DialogEngine) -> None:
    session = session_at(content, first_options(content))
    asked = engine.handle(session, Event(EventKind.CHANGE, text="3")).session
    assert engine.normalise(asked) is asked
    resumed = engine.handle(asked, Event(EventKind.START))
    assert resumed.session.state == asked.state
    assert content.questions[2].text in resumed.replies[-1].plain_text


# -- plan ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path_id", PATH_IDS)
def test_each_path_has_three_to_five_steps_from_the_article(content: Content, path_id: str) -> None:
    steps = content.plans[path_id]
    assert 3 <= len(steps) <= 5
    article = normalise_whitespace(content.article_text)
    for step in steps:
        assert content.excerpts[step.excerpt].text in article


def test_plan_after_the_result_and_not_before(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    outcome = engine.handle(session_at(content, answers), Event(EventKind.TEXT, text="what now?"))
    best = score(content, answers).recommended
    text = all_text(outcome)
    assert content.texts.render("plan_title", path=content.paths[best].name) in text
    for step in content.plans[best]:
        assert step.text in text
    assert outcome.session.state == EXPLAINING
    early = engine.handle(session_at(content, answers[:2]), Event(EventKind.PLAN))
    assert content.texts["result_not_ready"] in all_text(early) and not early.changed


# -- check-in ---------------------------------------------------------------------------------------
def test_remind_me_asks_for_a_checkin_about_the_result(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    now = 1_767_225_600.0  # 2026-01-01 00:00 UTC
    engine = DialogEngine(content, checkin_after=14 * 86_400)
    outcome = engine.handle(session_at(content, answers), Event(EventKind.REMIND, via_button=True), now)
    assert outcome.checkin == score(content, answers).recommended
    # A message, not a toast: the day stays in the chat, as a date (plain form: the ISO date).
    (said,) = outcome.replies
    assert not outcome.notice and said.plain_text == content.texts.render("checkin_set", date="2026-01-15")
    (date,) = [span for span in said.spans if span.style is Style.DATE]
    assert (date.text, date.at) == ("2026-01-15", now + 14 * 86_400)
    assert engine.handle(session_at(content, answers[:3]), Event(EventKind.REMIND)).checkin is None


# -- share links ---------------------------------------------------------------------------------
def test_share_payload_round_trips_for_every_answer_set(content: Content) -> None:
    allowed = set(string.ascii_letters + string.digits + "_-")
    for answers in itertools.islice(all_answer_sets(content), 0, None, 7):
        payload = encode_payload(content, tuple(answers), KEY)
        assert len(payload) <= MAX_PAYLOAD and set(payload) <= allowed
        assert decode_payload(content, payload, KEY) == tuple(answers)
    unsure = tuple((q.id, NOT_SURE) for q in content.questions)
    assert decode_payload(content, encode_payload(content, unsure, KEY), KEY) == unsure


def test_forged_truncated_and_outdated_payloads_are_refused(content: Content) -> None:
    answers = tuple(first_options(content))
    payload = encode_payload(content, answers, KEY)
    digits_at = len("s1") + len(content.version)
    forged = payload[:digits_at] + "2" + payload[digits_at + 1:]
    outdated = payload[:2] + "000000" + payload[8:]
    for bad in (forged, payload[:-1], payload[:10], outdated, payload + "x", "", "hello", payload.upper()):
        assert decode_payload(content, bad, KEY) is None, bad
    assert decode_payload(content, payload, share_key("another-token")) is None


def test_shared_result_is_marked_as_someone_elses(content: Content, engine: DialogEngine) -> None:
    answers = tuple(first_options(content))
    friend = Session(chat_id=77)
    outcome = engine.handle(friend, Event(EventKind.SHARED, answers=answers))
    assert not outcome.changed and outcome.session == friend
    text = all_text(outcome)
    best = content.paths[score(content, answers).recommended].name
    assert content.texts["shared_title"] in text
    assert content.texts.render("shared_headline", path=best) in text
    kinds = [b.event.kind for r in outcome.replies for row in r.buttons for b in row]
    assert kinds == [EventKind.START]
    broken = engine.handle(friend, Event(EventKind.SHARED, answers=()))
    assert all_text(broken).startswith(content.texts["shared_invalid"])
    assert broken.session.state != friend.state  # a normal start


# -- the card ---------------------------------------------------------------------------------
def test_card_is_a_real_picture_of_the_headline_and_scores(content: Content, engine: DialogEngine) -> None:
    from PIL import Image

    reply = result_reply(engine, content, first_options(content))
    assert reply.card is not None
    assert reply.card.headline == reply.plain_text.splitlines()[0]
    assert [bar[0] for bar in reply.card.bars][0] in reply.card.headline
    png = draw_card(reply.card)
    assert png.startswith(b"\xff\xd8\xff")  # JPEG
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (WIDTH, HEIGHT)


def test_card_bars_are_as_long_as_the_scores() -> None:
    from PIL import Image

    from bot.result_card import BAR_HEIGHT, COLOURS, MARGIN, TRACK, USABLE, _layout

    card = ResultCard("Your best fit: A", (("A", 10, False), ("B", 5, False), ("C", 0, False)), "ruled out")
    with Image.open(io.BytesIO(draw_card(card))) as image:
        def colour_at(index: int, fraction: float) -> tuple[int, ...]:
            x = MARGIN + round(USABLE * fraction)
            pixel = image.getpixel((x, _layout(index)[1] + (BAR_HEIGHT - 14) // 2))
            assert isinstance(pixel, tuple)
            return pixel

        def near(actual: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
            return all(abs(a - e) <= 16 for a, e in zip(actual, expected))

        assert near(colour_at(0, 0.95), COLOURS[0])  # the leader fills its bar
        assert near(colour_at(1, 0.45), COLOURS[1]) and near(colour_at(1, 0.55), TRACK)  # half
        assert near(colour_at(2, 0.5), TRACK)  # no score, no bar


def test_the_card_says_whose_bot_it_is_and_how_to_take_the_quiz_in_each_language() -> None:
    """A shared card is worth sharing: the invitation in the person's language, and a footer with
    the bot's name and @username, drawn below the bars."""
    from PIL import Image

    from bot.content_files.loader import load_languages
    from bot.result_card import FOOTER_TOP, signature

    for language, content in load_languages(models=False).items():
        engine = DialogEngine(content)
        card = result_reply(engine, content, first_options(content)).card
        assert card is not None and card.invite == content.texts["card_invite"] and card.invite, language
    assert signature("Crossroads", "crossroads_bot") == "Crossroads · @crossroads_bot"
    assert signature("", "crossroads_bot") == "@crossroads_bot" and signature("Crossroads", "") == "Crossroads"
    card = ResultCard("Your best fit: A", (("A", 10, False), ("B", 5, False), ("C", 0, False)), "ruled out",
                      invite="Which path is yours? Take the quiz:")
    signed = draw_card(card, "Crossroads", "crossroads_bot")
    assert signed != draw_card(card, "Crossroads", "other_bot")  # the username is drawn
    with Image.open(io.BytesIO(signed)) as image:
        footer = image.crop((0, FOOTER_TOP, WIDTH, HEIGHT)).convert("L")
        low, high = footer.getextrema()  # type: ignore[misc]
        assert high - low > 100  # text on the band, not an empty strip


def test_every_text_on_the_card_stays_inside_it_in_every_language() -> None:
    """The longest headlines ("Тебе больше всего подходит: Карьера в генеративном ИИ") take two
    lines, long labels and bot names a smaller font or an ellipsis: nothing runs off the right
    edge, where only the background may show."""
    from PIL import Image

    from bot.content_files.loader import load_languages
    from bot.result_card import MARGIN

    long_name, long_username = "Crossroads, the career compass for people at a crossroads", "c" * 32
    for language, content in load_languages(models=False).items():
        engine = DialogEngine(content)
        seen: set[str] = set()
        for answers in all_answer_sets(content):
            card = result_reply(engine, content, answers).card
            assert card is not None
            key = card.headline + "|" + "|".join(f"{name}{ruled}" for name, _, ruled in card.bars)
            if key in seen:
                continue
            seen.add(key)
            with Image.open(io.BytesIO(draw_card(card, long_name, long_username))) as image:
                edge = image.crop((WIDTH - MARGIN + 4, 0, WIDTH, HEIGHT)).convert("L")
                darkest, _ = edge.getextrema()  # type: ignore[misc]
                assert darkest > 200, (language, card.headline)
        assert len({key.split("|")[0] for key in seen}) == len(PATH_IDS), language  # every headline drawn
