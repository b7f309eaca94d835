"""The tiny student: planted errors are real errors, its conversations are well formed, its tokenizer
binds names, and the shipped checkpoint is what its card says."""
import json
import random

import pytest
from hypothesis import given, settings, strategies as st

from supercorrect_nb.grading import extract_answer
from supercorrect_nb.steps import parse_trace
from supercorrect_nb.student import (STUDENT_DIR, KINDS, conversation, conversations, needed_steps, plain_solution,
                                     student_tokenizer, wrong_steps)
from supercorrect_nb.testbed import ERRORS, generate, judge_steps, parse_question, step_text


@pytest.fixture(scope='module')
def problems():
    return generate(400, 'train', seed=11, max_steps=6)


@settings(max_examples=300, deadline=None)
@given(i=st.integers(0, 399), seed=st.integers(0, 10**6), kind=st.sampled_from(ERRORS))
def test_planted_error_is_found_where_planted(problems, i, seed, kind):
    prog = parse_question(problems[i].question)
    steps = wrong_steps(prog, random.Random(seed), kind)
    truth = prog.values()
    right = [step_text(f, truth, prog.obj) for f in needed_steps(prog)]
    k = judge_steps(prog, steps).first_wrong
    assert k is not None, steps                              # always a real error ...
    assert steps[:k - 1] == right[:k - 1] and steps[k - 1] != right[k - 1]  # ... at the first step that differs


def test_plain_solution_answers(problems):
    for p in problems:
        assert extract_answer(plain_solution(parse_question(p.question))) == p.answer


def test_conversations_are_what_the_pipeline_parses(problems):
    rows = conversations(problems, seed=3)
    kinds = {r['kind'] for r in rows}
    assert kinds == set(KINDS)
    for r in rows:
        reply = r['completion'][0]['content']
        if r['kind'] == 'solve': assert extract_answer(reply) is not None
        else:
            t = parse_trace(reply)
            assert t.ok, reply
    # a review of a wrong solution names the judge's first wrong step
    rng = random.Random(0)
    for p in problems[:50]:
        r = conversation(p, rng, 'review')
        steps = [l.split('>', 1)[1].rsplit('<', 1)[0] for l in r['prompt'][1]['content'].split('Solution to review:\n', 1)[1].splitlines()]
        assert parse_trace(r['completion'][0]['content']).first_wrong_step == judge_steps(parse_question(p.question), steps).first_wrong
    with pytest.raises(ValueError, match='unknown kind'): conversation(problems[0], rng, 'chat')


def test_tokenizer_binds_names(problems):
    rows = conversations(problems[:200])
    tok = student_tokenizer([m['content'] for r in rows for m in r['prompt'] + r['completion']], 600)
    for r in rows[:50]:
        text = tok.apply_chat_template(r['prompt'] + r['completion'], tokenize=False)
        toks = tok.convert_ids_to_tokens(tok(text, add_special_tokens=False)['input_ids'])
        names = {w for w in text.replace(',', ' ').replace('.', ' ').split() if w.istitle() and len(w) == 3}
        for n in names & {'Ann', 'Ben', 'Cat', 'Dan', 'Eve', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jon', 'Kim', 'Lea'}:
            assert n not in toks  # every name is the one space-prefixed token, wherever it stands
        decoded = tok.decode(tok(r['completion'][0]['content'])['input_ids'])  # a space before each piece, no other change
        assert decoded.replace('> ', '>').replace('\n ', '\n').removeprefix(' ') == r['completion'][0]['content']


def test_shipped_student():
    if not (STUDENT_DIR / 'config.json').exists(): pytest.skip('no shipped student')
    from transformers import AutoModelForCausalLM, AutoTokenizer
    card = json.loads((STUDENT_DIR / 'student.json').read_text())
    model = AutoModelForCausalLM.from_pretrained(STUDENT_DIR)
    assert sum(p.numel() for p in model.parameters()) == card['params']
    assert len(AutoTokenizer.from_pretrained(STUDENT_DIR)) == model.config.vocab_size
    assert sum((STUDENT_DIR / f).stat().st_size for f in ('model.safetensors', 'tokenizer.json')) < 10 * 2**20
