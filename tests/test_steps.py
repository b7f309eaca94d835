"""The step format: render→parse round trips, and the parsers never raise, whatever the text."""
from hypothesis import given, settings, strategies as st

from supercorrect_nb.grading import extract_answer
from supercorrect_nb.steps import (TAG_RE, FormatError, HierarchicalSolution, ParsedTrace, Step, StepReview,
                                   parse_solution, parse_trace, render_solution, render_trace, split_steps)

# Text a step can hold: stripped, non-empty, without anything that reads as a format tag.
piece = (st.text(st.characters(blacklist_categories=('Cs',)), min_size=1, max_size=80)
         .map(str.strip).filter(lambda t: bool(t) and not TAG_RE.search(t)))
steps = st.lists(st.builds(Step, piece, st.none() | piece), min_size=1, max_size=6)
solutions = st.builds(HierarchicalSolution, steps, st.none() | piece, st.none() | piece)


@given(solutions)
@settings(max_examples=300, deadline=None)
def test_solution_round_trip(sol):
    back = parse_solution(render_solution(sol))
    assert back == sol
    assert back.warnings == ([] if sol.answer is not None else ['no <Answer>'])


verdicts = st.sampled_from([(True, 'Correct.'), (True, 'correct: the sum is right'), (None, 'Unclear')])
right = st.builds(lambda v, t: StepReview(v[0], v[1], text=t), verdicts, st.just('') | piece)
wrong = st.builds(lambda e, c, k: StepReview(False, 'Incorrect. ' + e, cause=c, correction=k), piece, piece, piece)
traces = st.builds(lambda a, w, cont, ans: ParsedTrace(a + [w], cont, ans),
                   st.lists(right, max_size=4), wrong, st.lists(st.builds(Step, piece), max_size=3), st.none() | piece)


@given(traces)
@settings(max_examples=300, deadline=None)
def test_trace_round_trip(trace):
    back = parse_trace(render_trace(trace))
    assert back == trace
    assert back.first_wrong_step == len(trace.reviews)


fragments = st.sampled_from(['<Step1>', '</Step1>', '<Step 2>', '</step_2>', '<STEP-3:>', '＜Step4＞', '<Key>', '</Key>',
                             '<Generalized>', '</Generalized>', '<Answer>', '</Answer>', '<Evaluate>', '</Evaluate>',
                             '<Cause>', '</Cause>', '<Correction>', '</Correction>', 'Step 5:', '**Step 6.**', '\\boxed{',
                             '}', '\n\n', '#### ', 'The answer is ', '<', '>', '/'])
messy = st.lists(fragments | st.text(max_size=12), max_size=40).map(''.join)


@given(st.one_of(st.text(), messy))
@settings(max_examples=1500, deadline=None)
def test_parsers_never_raise(text):
    sol, trace = parse_solution(text), parse_trace(text)
    assert isinstance(sol, (HierarchicalSolution, FormatError))
    assert isinstance(trace, (ParsedTrace, FormatError))
    if sol.ok: assert sol.steps and all(s.text or s.key for s in sol.steps)
    else: assert sol.reason
    assert isinstance(split_steps(text), list)
    a = extract_answer(text)
    assert a is None or isinstance(a, str)


def test_non_text_is_a_format_error():
    for x in (None, 3, b'<Step1>', ['<Step1>a</Step1>']):
        assert parse_solution(x).ok is False and parse_trace(x).ok is False


def test_recovers_common_mistakes():
    text = ('Here we go.\n<Step 1>Add 2 and 3: 5.\n<Key>Order does not matter.</Key>\n<step_2>Double it: 10.</Step2>'
            '\n<Generalized>Add, then scale.\n<Answer>10')
    sol = parse_solution(text)
    assert [s.text for s in sol.steps] == ['Add 2 and 3: 5.', 'Double it: 10.']
    assert sol.steps[0].key == 'Order does not matter.' and sol.generalized == 'Add, then scale.' and sol.answer == '10'
    assert any('outside' in w for w in sol.warnings) and any('missing closing' in w for w in sol.warnings)
