"""Understanding what people type: an answer in their own words, "not sure", a command in plain
words, a question about the paths, small talk, or several answers at once.

A typed message is read in this order:

1. precise rules, where they are right: the option's number or exact label (as on the button),
   a "not sure" phrase said as the whole message, and a correction ("no, I meant ...");
2. the trained model (:mod:`dialogs.nlu.model`) over the classes open where the person is: the
   current question's options and "not sure", every command, changing a named answer, a path to
   explain, a language, the article's topics, "not covered", small talk and "nothing";
3. one decision policy (:mod:`dialogs.nlu.policy`) over its calibrated probabilities: take the
   answer (and say what was recorded), offer "Did you mean" with the top two, act on a command
   or a question, or ask again with the options;
4. facts about other open questions, each from a clause the model is sure of ("I'm a teacher,
   and I only have Sunday afternoons"), returned for the engine to say back and fill.

Nothing here knows about Telegram; nothing here logs or keeps the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from rapidfuzz import fuzz, process

from dialogs.commands import COMMANDS_BY_NAME, command_event
from dialogs.content import NOT_SURE, Content, Question, Wording
from dialogs.events import Event, EventKind
from dialogs.nlu import labels
from dialogs.nlu.labels import Label
from dialogs.nlu.model import ClauseSums, likeliest, probability_of, softmax
from dialogs.nlu.policy import DEFAULT, Act, Thresholds, decide, is_answer
from dialogs.session import Answer

#: A path named with a typo ("what is hybrd", /explain hybird).
PATH_SIMILARITY = 80
#: Negations reach this many words back ("I'd rather not have uneven income").
NEGATION_REACH = 5
#: How much of a typed message is read: its first MAX_READ_CHARACTERS characters (cut after a
#: whole word), of which the model weighs the first MAX_READ_CLAUSES clauses. Reading costs time
#: in proportion to what is read (about 7 microseconds a character, 100 a clause), on the one
#: event loop every chat shares: unbounded, a 4,096-character message (Telegram's longest) held
#: every chat up for 50-70 ms, and 400,000 characters through the webhook for seconds. A typed
#: answer is short: the longest reply of the corpora and the test split is 189 characters in 8
#: clauses (the article's sentences, also trained on, 326 in 13), so every one is read whole
#: (tests/test_long_messages.py checks it), and a pasted wall of text is read as its beginning,
#: at the cost of a paragraph.
MAX_READ_CHARACTERS = 1000
MAX_READ_CLAUSES = 24
_CLAUSE = re.compile(r"[,.;:!?()\n]+")
_APOSTROPHES = str.maketrans({"'": "", "’": "", "‘": "", "`": "", "´": ""})
_NON_WORD = re.compile(r"[^\w]+")
ENGLISH = Wording()


class Reading(str, Enum):
    """How a typed message was understood."""

    ANSWER = "answer"      #: one option, taken
    SUGGEST = "suggest"    #: candidates to confirm ("Did you mean ...?")
    COMMAND = "command"    #: a command (``event``), also a named change, path or language
    TOPIC = "topic"        #: a question about the paths (``topic``; "" when the article does not answer it)
    CHAT = "chat"          #: small talk (``topic`` holds its kind)
    CORRECT = "correct"    #: "no, I meant ...": the previous answer, corrected with ``rest``
    NOTHING = "nothing"    #: not understood


@dataclass(frozen=True)
class Understanding:
    """The reading of one typed message. ``options`` holds the taken option (ANSWER) or the
    candidates best first (SUGGEST); ``facts`` answers to other open questions the message
    also stated; ``how`` says which rule or the model decided (for logs and replies)."""

    reading: Reading
    options: tuple[str, ...] = ()
    how: str = ""
    event: Event | None = None
    topic: str = ""
    facts: tuple[Answer, ...] = ()
    rest: str = ""


NOTHING = Understanding(Reading.NOTHING)


def stem(word: str, wording: Wording = ENGLISH) -> str:
    """A word without its plural or inflection ending, roughly ("weekends" -> "weekend"),
    applied alike to phrases and replies so that both meet in the middle."""
    if len(word) <= 3 or not word.endswith(wording.plural_endings) or word.endswith(wording.keep_endings):
        return word
    for ending in wording.plural_endings:  # longest first (the loader sorts them)
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def plain_text(text: str) -> str:
    """Lower case, without accents or apostrophes ("Está" -> "esta", "don't" -> "dont")."""
    if text.isascii():  # nothing to decompose (most phrases): a third of the time
        return text.casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def words(text: str, wording: Wording = ENGLISH) -> list[str]:
    """The words of ``text`` as the matcher compares them ("Don't!" -> ["dont"])."""
    return [stem(word, wording) for word in _NON_WORD.split(plain_text(text)) if word]


def clauses(text: str, wording: Wording = ENGLISH) -> list[list[str]]:
    """The words of each clause (split at punctuation)."""
    return [found for part in _CLAUSE.split(text) if (found := words(part, wording))]


def phrase_key(text: str, wording: Wording = ENGLISH) -> str:
    """A phrase normalised for comparison: its words joined by single spaces."""
    return " ".join(words(text, wording))


def readable(text: str) -> str:
    """The part of a typed message that is read: all of it (stripped) up to MAX_READ_CHARACTERS,
    else its beginning up to the last whole word within them (one endless word: cut at the cap)."""
    text = text.strip()
    if len(text) <= MAX_READ_CHARACTERS:
        return text
    head = text[:MAX_READ_CHARACTERS]
    if head[-1].isspace() or text[MAX_READ_CHARACTERS].isspace():
        return head.rstrip()
    whole = head.rsplit(None, 1)  # the word cut in two is left out
    return whole[0] if len(whole) == 2 else head


def compact(text: str) -> str:
    """Letters and digits only, lower-case: how a typed label is compared with the button's."""
    return "".join(character for character in text.casefold() if character.isalnum())



def _negated(clause: Sequence[str], start: int, size: int, wording: Wording) -> bool:
    """Whether a negation governs the phrase of ``size`` words that starts at ``start``: one
    shortly before it ("not much risk"), or right after it ("own boss is not for me")."""
    for position in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        word = clause[position]
        if word in wording.contrasts or word in wording.clause_breaks:
            break
        if word in wording.negators:
            if not _cancelled(clause[position + 1:position + 3], wording):
                return True
            break
    if clause[start] in wording.negators:  # "não tenho tempo não": a negative phrase, said twice
        return False
    after = list(clause[start + size:start + size + 5])
    while after and after[0] in wording.linking_verbs:
        after.pop(0)
    return bool(after) and after[0] in wording.post_negators and not _cancelled(after[1:3], wording)


def _cancelled(following: Sequence[str], wording: Wording) -> bool:
    """A negation undone by what follows it within two words ("don't mind", "no me molesta")."""
    return any(word in wording.negation_cancellers for word in following)


class Interpreter:
    """Reads typed messages against one loaded content and its model; holds no per-chat state."""

    def __init__(self, content: Content, thresholds: Thresholds = DEFAULT) -> None:
        self._content = content
        self._wording = wording = content.wording
        self._model = content.model
        self.thresholds = thresholds
        self._exact: dict[str, dict[str, str]] = {}
        for question in content.questions:
            exact = self._exact[question.id] = {}
            for number, option in enumerate(question.choices, start=1):
                exact[str(number)] = option.id
                exact[compact(option.label)] = option.id
                exact[compact(option.id)] = option.id
        #: Each question's option phrases as words, for the negation rule.
        self._phrases: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
            question.id: tuple((option.id, tuple(self._known_key(phrase).split()))
                               for option in question.options for phrase in (option.label, *option.phrases)
                               if self._known_key(phrase)) for question in content.questions}
        self._phrase_starts: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]] = {}
        for question in content.questions:
            starts = self._phrase_starts[question.id] = {}
            for option_id, phrase in self._phrases[question.id]:
                starts.setdefault(phrase[0], []).append((option_id, phrase))
        self._phrase_owner = {question.id: {" ".join(phrase): option_id
                                            for option_id, phrase in self._phrases[question.id]}
                              for question in content.questions}
        self._not_sure = {self._known_key(phrase) for question in content.questions[:1]
                          for phrase in (question.not_sure.label, *question.not_sure.phrases)}
        self._slash_free = {self._known_key(phrase): name for name, words_ in content.commands.items()
                            for phrase in words_.phrases}
        self._prefixes = sorted(((tuple(words(prefix, wording)), name) for name, words_ in content.commands.items()
                                 for prefix in words_.path_prefixes), key=lambda item: -len(item[0]))
        self._aliases: dict[str, str] = {}
        for path in content.paths.values():
            for alias in (path.id.replace("_", " "), path.name, *path.aliases):
                self._aliases[self._known_key(alias)] = path.id
        self._classes = frozenset(content.model.classes) if content.model else frozenset()
        self._general = tuple(name for name in sorted(self._classes) if not is_answer(name))
        self._everything = frozenset(self._classes)
        self._general_set = frozenset(self._general)
        self._open_sets = {question.id: self._general_set | frozenset(self.answer_classes(question))
                           for question in content.questions}
        #: Class positions per allowed set, computed once per set (a handful exist).
        self._indices: dict[frozenset[str], tuple[int, ...]] = {}

    def _known_key(self, text: str) -> str:
        """The phrase key of a content phrase: as the loader computed it, else computed now."""
        found = self._content.phrase_keys.get(text)
        return found if found is not None else phrase_key(text, self._wording)

    # -- paths -----------------------------------------------------------------------------
    def path_named(self, text: str) -> str | None:
        """The path a name refers to, forgiving case, plurals and typos; None if none."""
        key = phrase_key(text, self._wording)
        if not key:
            return None
        if key in self._aliases:
            return self._aliases[key]
        head, _, rest = key.partition(" ")  # "the hybrid", "a side hustle", "el hibrido"
        if rest in self._aliases and len(head) <= 3:
            return self._aliases[rest]
        if len(key) < 3:
            return None
        found = process.extractOne(key, list(self._aliases), scorer=fuzz.ratio, score_cutoff=PATH_SIMILARITY)
        return self._aliases[found[0]] if found else None

    # -- reading ---------------------------------------------------------------------------
    def answer_classes(self, question: Question) -> tuple[str, ...]:
        """The classes that answer ``question``: its options and "not sure"."""
        return (*(labels.answer(question.id, option.id) for option in question.options), labels.UNSURE)

    def _softmax(self, scores: list[float], allowed: frozenset[str]) -> dict[str, float]:
        """Probabilities over ``allowed`` (the class positions of each allowed set are kept)."""
        model = self._model
        assert model is not None
        chosen = self._indices.get(allowed)
        if chosen is None:
            chosen = self._indices[allowed] = model.positions(allowed)
        return softmax(scores, model.classes, chosen, model.temperature)

    def read(self, text: str, question: Question | None, open_questions: Sequence[Question] = (),
             can_correct: bool = False) -> Understanding:
        """Understand ``text`` typed while ``question`` is asked (None: no question is open).
        ``open_questions``: unanswered questions whose answers the message may also state;
        ``can_correct``: a previous answer exists that "no, I meant ..." would correct. Only the
        message's beginning is read (:func:`readable`, MAX_READ_CLAUSES); a message cut there
        is a pasted text, not the person telling about themselves, so it states no facts."""
        said = text.strip()
        text = readable(said)
        if not text:
            return NOTHING
        key = phrase_key(text, self._wording)
        if question is not None:
            option_id = self._exact[question.id].get(compact(text))
            if option_id is not None:
                return Understanding(Reading.ANSWER, (option_id,), "exact")
            if key in self._not_sure:
                return Understanding(Reading.ANSWER, (NOT_SURE,), "not sure")
            option_id = self._phrase_owner[question.id].get(key)
            if option_id is not None:  # one of the option's own listed phrases, said as the whole message
                return Understanding(Reading.ANSWER, (option_id,), "phrase")
            if key.isdigit():  # a number that is no option's: asked again, never guessed at
                return NOTHING
        if can_correct:
            for start in self._wording.corrections:
                if key == start or key.startswith(start + " "):
                    return Understanding(Reading.CORRECT, how="correction", rest=_after_words(text, len(start.split())))
        name = self._slash_free.get(key)
        if name is not None and name != "start":  # a command's own words, said exactly
            return Understanding(Reading.COMMAND, event=command_event(COMMANDS_BY_NAME[name]), how="exact")
        tokens = key.split()
        for prefix, prefix_name in self._prefixes:  # "what is" + a path's name, typos forgiven
            if len(tokens) > len(prefix) and tuple(tokens[:len(prefix)]) == prefix:
                path_id = self.path_named(" ".join(tokens[len(prefix):]))
                if path_id is not None:
                    return Understanding(Reading.COMMAND, how="exact",
                                         event=command_event(COMMANDS_BY_NAME[prefix_name], path_id))
        if self._model is None:
            return NOTHING
        pieces = self._model.clauses(text)
        whole = text == said and len(pieces) <= MAX_READ_CLAUSES
        pieces = pieces[:MAX_READ_CLAUSES]
        parts = [self._model.clause_sums(clause) for clause in pieces]
        if self._model.known_share(parts) < self.thresholds.known:  # "مرحبا", "👩‍💻🚀🔥": nothing to go on
            return Understanding(Reading.NOTHING, how="unknown words")
        others = [q for q in open_questions if q is not question] if whole else []
        facts, stating = self._facts([clause.text for clause in pieces], parts, others) if others else ([], set())
        kept = [sums for number, sums in enumerate(parts) if number not in stating] or parts
        scores = self._model.scores_of(kept)  # the message less the clauses that stated other answers
        allowed = self._general_set if question is None else self._open_sets[question.id]
        decision = decide(self._softmax(scores, allowed),
                          self.answer_classes(question) if question is not None else (), self.thresholds,
                          self._softmax(scores, self._everything))
        if decision.act in (Act.TAKE, Act.OFFER) and question is not None:
            negated = self.negated_options(text, question)
            chosen = tuple(option for name in decision.labels if (option := _option_of(name)) not in negated)
            if decision.act is Act.TAKE and chosen:
                return Understanding(Reading.ANSWER, chosen, "model", facts=tuple(facts))
            if not chosen:  # "I don't like uneven income": whatever the model says, not that one
                ranked = self._softmax(scores, self._open_sets[question.id])
                chosen = tuple(option for option in sorted((o.id for o in question.options),
                                                           key=lambda o: -ranked.get(labels.answer(question.id, o), 0.0))
                               if option not in negated)[:2]
            return Understanding(Reading.SUGGEST, chosen, "model", facts=tuple(facts))
        if decision.act is Act.ACT:
            return self._acting(decision.labels[0], facts)
        return Understanding(Reading.NOTHING, how="model", facts=tuple(facts))

    def negated_options(self, text: str, question: Question) -> set[str]:
        """Options whose own words the message says only under a negation ("not much risk",
        "own boss is not for me"): a rule, since a linear model weighs "uneven income" the same
        with or without the "don't" before it."""
        said: set[str] = set()
        against: set[str] = set()
        by_first_word = self._phrase_starts[question.id]
        for clause in clauses(text, self._wording):
            for start, word in enumerate(clause):
                for option_id, phrase in by_first_word.get(word, ()):
                    if tuple(clause[start:start + len(phrase)]) == phrase:
                        (against if _negated(clause, start, len(phrase), self._wording) else said).add(option_id)
        return against - said

    def _acting(self, name: str, facts: Sequence[Answer]) -> Understanding:
        label = Label.parse(name)
        if label.kind == labels.COMMAND and label.first in COMMANDS_BY_NAME:
            return Understanding(Reading.COMMAND, event=command_event(COMMANDS_BY_NAME[label.first]), how="model")
        if label.kind == labels.CHANGE:
            return Understanding(Reading.COMMAND, event=Event(EventKind.CHANGE, question=label.first), how="model")
        if label.kind == labels.EXPLAIN:
            return Understanding(Reading.COMMAND, event=Event(EventKind.EXPLAIN, text=label.first), how="model")
        if label.kind == labels.LANGUAGE:
            return Understanding(Reading.COMMAND, event=Event(EventKind.LANGUAGE, text=label.first), how="model")
        if label.kind == labels.TOPIC:
            return Understanding(Reading.TOPIC, topic=label.first, how="model")
        if label.kind == labels.UNCOVERED:
            return Understanding(Reading.TOPIC, topic="", how="model")
        if label.kind == labels.CHAT:
            return Understanding(Reading.CHAT, topic=label.first, how="model", facts=tuple(facts))
        return Understanding(Reading.NOTHING, how="model", facts=tuple(facts))

    # -- several facts in one message ------------------------------------------------------
    def _facts(self, texts: Sequence[str], parts: Sequence[ClauseSums], questions: Sequence[Question]
               ) -> tuple[list[Answer], set[int]]:
        """(facts, the positions of the clauses that stated them); an option whose own words the
        clause negates ("no free time at all") is never a fact."""
        assert self._model is not None
        model = self._model
        open_answers = {labels.answer(q.id, o.id): (q.id, o.id) for q in questions for o in q.options}
        allowed = self._general_set | frozenset(open_answers)
        positions = self._indices.get(allowed)
        if positions is None:
            positions = self._indices[allowed] = model.positions(allowed)
        best: dict[str, tuple[float, str, int]] = {}
        for number, sums in enumerate(parts):
            if model.known_share([sums]) < self.thresholds.known:
                continue
            scores = model.scores_of([sums])
            position = likeliest(scores, positions)
            top = model.classes[position]
            if top not in open_answers:
                continue
            probability = probability_of(position, scores, positions, model.temperature)
            if probability >= self.thresholds.fact:
                question_id, option_id = open_answers[top]
                question = self._content.question(question_id)
                if question is None or option_id in self.negated_options(texts[number], question):
                    continue
                if probability > best.get(question_id, (0.0, "", 0))[0]:
                    best[question_id] = (probability, option_id, number)
        order = {q.id: index for index, q in enumerate(self._content.questions)}
        chosen = sorted(best, key=order.__getitem__)
        return [(question_id, best[question_id][1]) for question_id in chosen], {best[q][2] for q in chosen}


def _option_of(name: str) -> str:
    """The option id of an answer class ("unsure" for Not sure)."""
    return NOT_SURE if name == labels.UNSURE else Label.parse(name).second


def _after_words(text: str, count: int) -> str:
    """``text`` without its first ``count`` words (the correction's own words)."""
    found = list(re.finditer(r"\w+", text))
    return text[found[count - 1].end():].strip(" ,.:;!-") if len(found) >= count else ""
