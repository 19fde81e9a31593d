"""Understanding what people type: an answer in their own words, "not sure", or a command.

A typed reply to a question is read in this order, first match wins:

1. the option's number or its exact label (as on the button);
2. a command in plain words, said as the whole message ("start over", "go back", "why?"),
   or a path asked about ("what is hybrid?", "tell me about side hustles");
3. the options' own words (content: each option's ``phrases``), word by word: an option
   whose phrase appears is evidence for it, unless a negation comes just before the phrase
   in the same clause ("not much risk"), which counts against it instead;
4. the same after correcting typos word by word against the question's vocabulary;
5. the whole reply against the labels and longer phrases, fuzzily.

Only one option with evidence is taken; two with evidence, negated evidence, or a fuzzy
resemblance are offered back as "Did you mean ...?" candidates, so that an option the person
did not mean is never taken silently. Nothing here knows about Telegram.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from dialogs.commands import COMMANDS_BY_NAME, command_event
from dialogs.content import Content, Question, Wording
from dialogs.events import Event

#: Negations reach this many words back ("I'd rather not have uneven income").
NEGATION_REACH = 5
#: Typo correction: words at least this long, at least this similar (0..1, transpositions
#: count as one edit) to a word of the question's phrases.
MIN_TYPO_WORD = 4
TYPO_SIMILARITY = 0.75
#: Whole-reply resemblance to a label or phrase: take it, or offer it.
FUZZY_TAKE = 92
FUZZY_OFFER = 72
#: A path named after a prefix ("what is hybrd"), and a command said with a typo ("strat over").
PATH_SIMILARITY = 80
COMMAND_SIMILARITY = 88
MIN_FUZZY_COMMAND = 5
MAX_CANDIDATES = 3

_CLAUSE = re.compile(r"[,.;:!?()\n]+")
_APOSTROPHES = str.maketrans({"'": "", "’": "", "‘": "", "`": "", "´": ""})
_NON_WORD = re.compile(r"[^\w]+")
ENGLISH = Wording()


class Reading(str, Enum):
    """How a typed reply was understood."""

    ANSWER = "answer"      #: one option, taken
    SUGGEST = "suggest"    #: candidates to confirm ("Did you mean ...?")
    COMMAND = "command"    #: a command in plain words
    NOTHING = "nothing"    #: not understood


@dataclass(frozen=True)
class Understanding:
    """The reading of one typed reply. ``options`` holds the taken option (ANSWER) or the
    candidates best first (SUGGEST); ``how`` says which rule matched (for logs and replies)."""

    reading: Reading
    options: tuple[str, ...] = ()
    how: str = ""
    event: Event | None = None


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


def _find(needle: Sequence[str], haystack: Sequence[str]) -> Iterable[int]:
    """Start positions of ``needle`` as a run of whole words in ``haystack``."""
    size = len(needle)
    for start in range(len(haystack) - size + 1):
        if list(haystack[start:start + size]) == list(needle):
            yield start


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


@dataclass(frozen=True)
class _Vocabulary:
    """One question's answers as word lists, prepared once."""

    phrases: tuple[tuple[str, tuple[str, ...]], ...]   # (option id, phrase words)
    exact: dict[str, str]                               # label/id/number key -> option id
    known_words: tuple[str, ...]
    fuzzy_targets: tuple[tuple[str, str], ...]          # (option id, label or long phrase key)

    @classmethod
    def of(cls, question: Question, wording: Wording, key: Callable[[str], str]) -> _Vocabulary:
        phrases: list[tuple[str, tuple[str, ...]]] = []
        exact: dict[str, str] = {}
        targets: list[tuple[str, str]] = []
        for number, option in enumerate(question.choices, start=1):
            exact[str(number)] = option.id
            exact[compact(option.label)] = option.id
            exact[compact(option.id)] = option.id
            targets.append((option.id, key(option.label)))
            for phrase in option.phrases:
                phrase_words = tuple(key(phrase).split())
                if phrase_words:
                    phrases.append((option.id, phrase_words))
                    if len(phrase_words) >= 2:
                        targets.append((option.id, " ".join(phrase_words)))
        known = sorted({word for _, phrase_words in phrases for word in phrase_words
                        if len(word) >= MIN_TYPO_WORD and word not in wording.negators})
        return cls(tuple(phrases), exact, tuple(known), tuple(targets))


def compact(text: str) -> str:
    """Letters and digits only, lower-case: how a typed label is compared with the button's."""
    return "".join(character for character in text.casefold() if character.isalnum())


@dataclass
class _Evidence:
    """Words of the reply covered by each option's phrases, in which part of the reply (a
    contrast word starts a new part), and the options negated somewhere."""

    covered: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    part: dict[str, int] = field(default_factory=dict)
    against: set[str] = field(default_factory=set)

    def candidates(self, exact: _Evidence) -> list[str]:
        """Options with evidence for them: said last (after a "but") first, then most words
        as typed, then most words after typo correction."""
        scored = [option_id for option_id, spots in self.covered.items() if spots]
        return sorted(scored, key=lambda option_id: (
            -self.part[option_id], -len(exact.covered.get(option_id, ())), -len(self.covered[option_id])))

    def joined(self, corrected: _Evidence) -> _Evidence:
        """This evidence plus what typo correction found; negations count only as typed."""
        covered = {option_id: set(spots) for option_id, spots in self.covered.items()}
        part = dict(self.part)
        for option_id, spots in corrected.covered.items():
            covered.setdefault(option_id, set()).update(spots)
            part[option_id] = max(part.get(option_id, 0), corrected.part[option_id])
        return _Evidence(covered, part, set(self.against))


class Interpreter:
    """Reads typed replies against one loaded content; holds no per-chat state."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._wording = wording = content.wording
        self._vocabularies = {question.id: _Vocabulary.of(question, wording, self._known_key)
                              for question in content.questions}
        self._command_phrases: dict[str, str] = {}
        self._prefixes: list[tuple[tuple[str, ...], str]] = []
        for name, command_words in content.commands.items():
            for phrase in command_words.phrases:
                self._command_phrases[self._known_key(phrase)] = name
            for prefix in command_words.path_prefixes:
                self._prefixes.append((tuple(words(prefix, wording)), name))
        self._prefixes.sort(key=lambda item: -len(item[0]))  # longest prefix first
        self._aliases: dict[str, str] = {}
        for path in content.paths.values():
            for alias in (path.id.replace("_", " "), path.name, *path.aliases):
                self._aliases[self._known_key(alias)] = path.id

    def _known_key(self, text: str) -> str:
        """The phrase key of a content phrase: as the loader computed it, else computed now."""
        found = self._content.phrase_keys.get(text)
        return found if found is not None else phrase_key(text, self._wording)

    # -- paths and commands ----------------------------------------------------------------
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

    def command(self, text: str, fuzzy: bool = False) -> Event | None:
        """A command said in plain words as the whole message, if it is one."""
        key = phrase_key(text, self._wording)
        if not key:
            return None
        name = self._command_phrases.get(key)
        if name is not None:
            return command_event(COMMANDS_BY_NAME[name])
        tokens = key.split()
        for prefix, prefix_name in self._prefixes:
            if len(tokens) > len(prefix) and tuple(tokens[:len(prefix)]) == prefix:
                path_id = self.path_named(" ".join(tokens[len(prefix):]))
                if path_id is not None:
                    return command_event(COMMANDS_BY_NAME[prefix_name], path_id)
        if fuzzy and len(key) >= MIN_FUZZY_COMMAND:
            found = process.extractOne(key, list(self._command_phrases), scorer=fuzz.ratio,
                                       score_cutoff=COMMAND_SIMILARITY)
            if found:
                return command_event(COMMANDS_BY_NAME[self._command_phrases[found[0]]])
        return None

    # -- answers ---------------------------------------------------------------------------
    def read(self, text: str, question: Question | None) -> Understanding:
        """Understand ``text`` typed while ``question`` is asked (None: no question is open)."""
        if question is not None:
            vocabulary = self._vocabularies[question.id]
            option_id = vocabulary.exact.get(compact(text))
            if option_id is not None:
                return Understanding(Reading.ANSWER, (option_id,), "exact")
        event = self.command(text)
        if event is not None:
            return Understanding(Reading.COMMAND, event=event)
        if question is not None:
            understood = self._read_answer(text, self._vocabularies[question.id])
            if understood is not NOTHING:
                return understood
        event = self.command(text, fuzzy=True)
        if event is not None:
            return Understanding(Reading.COMMAND, event=event)
        return NOTHING

    def _read_answer(self, text: str, vocabulary: _Vocabulary) -> Understanding:
        """Phrases in the reply as typed, and after correcting typos; only an option found in
        the reply as typed, alone and not negated, is taken."""
        parts = clauses(text, self._wording)
        exact = self._evidence(parts, vocabulary)
        corrected = [self._correct(part, vocabulary) for part in parts]
        evidence = exact.joined(self._evidence(corrected, vocabulary)) if corrected != parts else exact
        ranked = evidence.candidates(exact)
        if ranked:
            best = ranked[0]
            if len(ranked) == 1 and best not in evidence.against and best in exact.covered:
                return Understanding(Reading.ANSWER, (best,), "phrase")
            how = "phrase" if evidence is exact else "typo"
            return Understanding(Reading.SUGGEST, tuple(ranked[:MAX_CANDIDATES]), how)
        return self._resemblance(" ".join(word for part in parts for word in part), vocabulary)

    def _evidence(self, parts: list[list[str]], vocabulary: _Vocabulary) -> _Evidence:
        """Every phrase found; a phrase inside a longer phrase of another option does not count
        ("no" inside "no idea", "risk" inside "not much risk")."""
        evidence = _Evidence()
        part_number = 0
        for clause_number, clause in enumerate(parts):
            part_of_word = []
            for word in clause:
                part_number += word in self._wording.contrasts
                part_of_word.append(part_number)
            found = [(option_id, start, len(phrase_words))
                     for option_id, phrase_words in vocabulary.phrases for start in _find(phrase_words, clause)]
            for option_id, start, size in found:
                if any(other_size > size and other_start <= start and start + size <= other_start + other_size
                       for _, other_start, other_size in found):
                    continue
                if _negated(clause, start, size, self._wording):
                    evidence.against.add(option_id)
                    continue
                spots = evidence.covered.setdefault(option_id, set())
                spots.update((clause_number, start + offset) for offset in range(size))
                evidence.part[option_id] = max(evidence.part.get(option_id, 0), part_of_word[start])
        return evidence

    def _correct(self, clause: list[str], vocabulary: _Vocabulary) -> list[str]:
        """Each unknown word replaced by the known word it most resembles, if close enough."""
        known = set(vocabulary.known_words)
        fixed = []
        for word in clause:
            common = self._wording.common_words
            if len(word) >= MIN_TYPO_WORD and word not in known and word not in common and not word.isdigit():
                found = process.extractOne(word, vocabulary.known_words, scorer=OSA.normalized_similarity,
                                           score_cutoff=TYPO_SIMILARITY)
                fixed.append(found[0] if found else word)
            else:
                fixed.append(word)
        return fixed

    @staticmethod
    def _resemblance(key: str, vocabulary: _Vocabulary) -> Understanding:
        if not key:
            return NOTHING
        best: dict[str, float] = {}
        for option_id, target in vocabulary.fuzzy_targets:
            similarity = fuzz.ratio(key, target)
            if similarity >= FUZZY_OFFER and similarity > best.get(option_id, 0):
                best[option_id] = similarity
        if not best:
            return NOTHING
        ranked = sorted(best, key=lambda option_id: -best[option_id])
        if len(ranked) == 1 and best[ranked[0]] >= FUZZY_TAKE:
            return Understanding(Reading.ANSWER, (ranked[0],), "fuzzy")
        return Understanding(Reading.SUGGEST, tuple(ranked[:MAX_CANDIDATES]), "fuzzy")
