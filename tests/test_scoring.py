"""Scoring over every possible answer set: the article's rules always hold."""

from __future__ import annotations

from collections import Counter

import pytest

from dialogs.content import NOT_SURE, PATH_IDS, Content
from dialogs.scoring import Result, deciding_answers, result_excerpts, score
from dialogs.what_if import unsure_outlook
from tests.conftest import Answer, all_answer_sets, failing_options, income_rule, learning_rule, requirements_of


@pytest.fixture(scope="module")
def scored(content: Content) -> list[tuple[tuple[Answer, ...], Result]]:
    """Every combination of answers with its result (3^7 = 2187 for the shipped content)."""
    return [(answers, score(content, answers)) for answers in all_answer_sets(content)]


def test_enumeration_covers_every_combination(content: Content, scored: list) -> None:
    expected = 1
    for question in content.questions:
        expected *= len(question.options)
    assert len(scored) == expected == len({answers for answers, _ in scored})


def test_not_learning_means_never_generative_ai(content: Content, scored: list) -> None:
    question, requirement = learning_rule(content)
    failing = {o.id for o in failing_options(question, requirement)}
    assert NOT_SURE in failing and len(failing) >= 2  # a "no" and "not sure"
    picked = [r for answers, r in scored if dict(answers)[question.id] in failing]
    assert picked
    for result in picked:
        assert result.recommended != "generative_ai"
        assert "generative_ai" in result.excluded


def test_hybrid_only_when_keeping_a_primary_income(content: Content, scored: list) -> None:
    question, requirement = income_rule(content)
    hybrids = [answers for answers, r in scored if r.recommended == "hybrid"]
    assert hybrids
    for answers in hybrids:
        assert (question.id, dict(answers)[question.id]) in requirement.met_by


def test_wanting_to_leave_a_job_keeps_the_hybrid_possible(content: Content) -> None:
    """The article offers the hybrid as the way out of a job ("a stepping stone ... without
    immediately quitting your job"): only having no job to keep rules it out."""
    question, requirement = income_rule(content)
    kept = [o.id for o in question.options if (question.id, o.id) in requirement.met_by]
    assert len(kept) == 2 and "ready_to_leave" in kept


def test_hybrid_needs_a_sign_of_interest_in_ai(content: Content, scored: list) -> None:
    """The hybrid is "using a side hustle to explore and develop skills related to generative AI"."""
    (interest,) = [r for r in requirements_of(content, "hybrid") if len(r.questions) > 1]
    for answers, result in scored:
        if not set(answers) & interest.met_by:
            assert result.recommended != "hybrid" and "hybrid" in result.excluded


def test_every_path_is_recommended_for_some_answers(scored: list) -> None:
    counts = Counter(r.recommended for _, r in scored)
    assert set(counts) == set(PATH_IDS)


def test_scores_are_sums_of_weights(content: Content, scored: list) -> None:
    for answers, result in scored:
        for path_id in PATH_IDS:
            weights = [content.question(q).option(o).weights[path_id] for q, o in answers]
            expected = sum(weights)
            assert result.scores[path_id] == expected


def test_recommendation_is_best_non_excluded_path(content: Content, scored: list) -> None:
    for answers, result in scored:
        excluded = {r.path for r in content.requirements if not set(answers) & r.met_by}
        eligible = [p for p in PATH_IDS if p not in excluded]
        assert result.recommended in eligible
        assert result.scores[result.recommended] == max(result.scores[p] for p in eligible)
        assert set(result.excluded) == excluded


def test_margin_and_closeness(content: Content, scored: list) -> None:
    for _, result in scored:
        eligible = [p for p in PATH_IDS if p not in result.excluded]
        if len(eligible) == 1:
            assert result.runner_up is None and result.margin is None and not result.is_close
            continue
        assert result.runner_up in eligible and result.runner_up != result.recommended
        others = [result.scores[p] for p in eligible if p != result.recommended]
        assert result.scores[result.runner_up] == max(others)
        assert result.margin == result.scores[result.recommended] - result.scores[result.runner_up]
        assert result.margin >= 0
        assert result.is_close == (result.margin <= content.close_margin)


def _tied(result: Result) -> list[str]:
    eligible = [p for p in PATH_IDS if p not in result.excluded]
    top = max(result.scores[p] for p in eligible)
    return [p for p in eligible if result.scores[p] == top]


def test_ties_follow_tie_break_deterministically_and_count_as_close(content: Content, scored: list) -> None:
    ties = [(answers, r) for answers, r in scored if len(_tied(r)) >= 2]
    assert ties, "the shipped content should allow at least one tie"
    winners = set()
    for answers, result in ties:
        tied = _tied(result)
        expected = min(tied, key=content.tie_break.index)
        assert result.recommended == expected
        assert result.runner_up in tied
        assert result.margin == 0
        assert result.is_close
        again = score(content, answers)
        assert (again.recommended, again.runner_up, again.ranking) == (result.recommended, result.runner_up, result.ranking)
        winners.add(result.recommended)
    assert winners  # at least one tie case checked


def test_deciding_answers_favour_the_recommendation(scored: list) -> None:
    for answers, result in scored:
        deciding = deciding_answers(result)
        assert 2 <= len(deciding) <= 3, answers
        assert len({c.question.id for c in deciding}) == len(deciding)
        best, rival = result.recommended, result.runner_up
        for contribution in deciding:
            assert contribution in result.contributions
            assert contribution.points(best) > 0, (answers, contribution.option.id)
            if rival is not None:
                assert contribution.points(best) >= contribution.points(rival), (answers, contribution.option.id)
        # The strongest deciding answer is one that leans to the recommendation.
        lead = deciding[0]
        assert lead.points(best) == max(lead.points(p) for p in PATH_IDS if p not in result.excluded)


def test_result_excerpts_come_from_deciding_answers_first(content: Content, scored: list) -> None:
    for answers, result in scored:
        excerpts = result_excerpts(content, result)
        assert 2 <= len(excerpts) <= 3, answers
        assert len(set(excerpts)) == len(excerpts)
        assert set(excerpts) <= set(content.excerpts)
        deciding = deciding_answers(result)
        from_answers = [e for c in deciding for e in c.option.excerpts]
        path_own = content.paths[result.recommended].excerpts
        assert excerpts[0] in deciding[0].option.excerpts
        for excerpt_id in excerpts:
            assert excerpt_id in from_answers or excerpt_id in path_own
        # Path excerpts only top up: once one not from the answers appears, no answer excerpt follows.
        seen_top_up = False
        for excerpt_id in excerpts:
            if excerpt_id not in from_answers:
                seen_top_up = True
            else:
                assert not seen_top_up, (answers, excerpts)


def test_same_recommendation_different_answers_different_excerpts(content: Content, scored: list) -> None:
    by_path: dict[str, set[tuple[str, ...]]] = {}
    for _, result in scored:
        by_path.setdefault(result.recommended, set()).add(result_excerpts(content, result))
    for path_id in PATH_IDS:
        assert len(by_path[path_id]) >= 2, f"{path_id} always shows the same excerpts"


def test_two_specific_answer_sets_same_path_different_excerpts(content: Content, scored: list) -> None:
    """A concrete pair: same recommendation, different quotes (not a fixed block per path)."""
    seen: dict[str, tuple[tuple[Answer, ...], tuple[str, ...]]] = {}
    for answers, result in scored:
        excerpts = result_excerpts(content, result)
        if result.recommended in seen and seen[result.recommended][1] != excerpts:
            first_answers, first_excerpts = seen[result.recommended]
            assert score(content, first_answers).recommended == score(content, answers).recommended
            assert result_excerpts(content, score(content, first_answers)) != result_excerpts(content, score(content, answers))
            return
        seen.setdefault(result.recommended, (answers, excerpts))
    pytest.fail("no two answer sets with the same recommendation and different excerpts")


def test_unknown_answers_raise_key_error(content: Content) -> None:
    with pytest.raises(KeyError):
        score(content, [("no_such_question", "x")])
    question = content.questions[0]
    with pytest.raises(KeyError):
        score(content, [(question.id, "no_such_option")])


# -- "Not sure" -------------------------------------------------------------------------------
def test_not_sure_counts_for_no_path(content: Content) -> None:
    for question in content.questions:
        answers = [(q.id, NOT_SURE) for q in content.questions]
        result = score(content, answers)
        assert all(points == 0 for points in result.scores.values())
        assert result.all_unsure and len(result.unsure) == len(content.questions)
        assert question.option(NOT_SURE) is question.not_sure


@pytest.mark.parametrize("path_id", ["generative_ai", "hybrid"])
def test_not_sure_on_a_requirement_rules_the_path_out(content: Content, path_id: str) -> None:
    question, requirement = learning_rule(content) if path_id == "generative_ai" else income_rule(content)
    for answers in all_answer_sets(content):
        unsure = [(q, NOT_SURE if q == question.id else o) for q, o in answers]
        result = score(content, unsure)
        assert path_id in result.excluded and result.recommended != path_id
        assert result.excluded[path_id].requirement.path == path_id
        break


def test_unsure_outlook_names_an_answer_that_changes_the_result(content: Content) -> None:
    """Everything points to AI but learning is "not sure": a yes there would give the AI career."""
    learning, _ = learning_rule(content)
    answers = []
    for question in content.questions:
        if question.id == learning.id:
            answers.append((question.id, NOT_SURE))
        else:
            best = max(question.options, key=lambda o: o.weights["generative_ai"] - o.weights["side_hustle"])
            answers.append((question.id, best.id))
    result = score(content, answers)
    assert result.recommended != "generative_ai"
    outlook = unsure_outlook(content, answers)
    assert not outlook.holds and outlook.changer is not None
    question, option, path_id = outlook.changer
    assert question.id == learning.id
    changed = [(q, option.id if q == learning.id else o) for q, o in answers]
    assert score(content, changed).recommended == path_id != result.recommended


def test_unsure_outlook_holds_when_no_answer_there_changes_it(content: Content, scored: list) -> None:
    checked = 0
    for answers, _ in scored[:400]:
        for position in range(len(answers)):
            unsure = list(answers)
            unsure[position] = (answers[position][0], NOT_SURE)
            outcomes = {score(content, [a if i != position else (a[0], o.id) for i, a in enumerate(answers)]).recommended
                        for o in content.questions[position].options}
            outlook = unsure_outlook(content, unsure)
            base = score(content, unsure).recommended
            assert outlook.holds == (outcomes == {base}), (unsure, outcomes, base)
            checked += 1
    assert checked >= 2000
