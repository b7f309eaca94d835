"""Critique and refine at test time: budgets are counted right, an exact critic never breaks a right
answer, and the equal-budget tables pair the same problems."""
import random

import pytest

from supercorrect_nb.chat import Chat, FunctionBackend
from supercorrect_nb.critic import critiques, discrimination
from supercorrect_nb.prompts import steps_messages
from supercorrect_nb.refine import budget_table, critique_refine, refinement_stats, sequential_table
from supercorrect_nb.solving import solve
from supercorrect_nb.testbed import exact_teacher, generate, scripted_actor


def slips(q, i, s, prefix):
    "A fresh answer slips by one in its last step a quarter of the time; any prefix is gone on from rightly."
    return not prefix and random.Random(f'{q}|{s.seed}|{i}|{s.temperature}').random() < 0.25


@pytest.fixture(scope='module')
def setup():
    probs = generate(40, 'validation', seed=8, min_steps=2, max_steps=5)
    return probs, Chat(backend=FunctionBackend(scripted_actor(slips, at='last'), 'actor')), Chat(backend=FunctionBackend(exact_teacher, 'exact'))


def test_exact_critic_fixes_without_breaking(setup):
    probs, actor, critic = setup
    first = solve(probs, actor, n=3, temperature=0.7, prompt=steps_messages, progress=False)
    rep = [p for p in probs for _ in range(3)]
    ref = critique_refine(rep, first, actor, critic, rounds=2, progress=False)
    stats = refinement_stats(ref)
    assert stats['delta_c_to_i'] == 0 and stats['acc_t2'] == 1.0 and stats['missing'] == 0
    for r, a in zip(ref, first):                       # right: answer + critique; wrong: + refinement + a critique that accepts
        assert r.generations == (2 if a.correct else 4) and len(r.versions) == (1 if a.correct else 2)
    d = discrimination([r.critiques[0] for r in ref], first)
    assert d['accept_right']['rate'] == 1.0 and d['reject_wrong']['rate'] == 1.0


def test_budget_tables_pair_the_same_problems(setup):
    probs, actor, critic = setup
    samples = [solve([p], actor, n=6, temperature=0.7, prompt=steps_messages, progress=False) for p in probs]
    par = critique_refine([p for p in probs for _ in range(2)], [x for ss in samples for x in ss[:2]], actor, critic, progress=False)
    par = [par[2 * i:2 * i + 2] for i in range(len(probs))]
    table = budget_table(probs, samples, par, [1, 2, 3, 6, 9])
    assert [t['k'] for t in table] == [2, 3, 6]         # no fewer generations than an answer and its critique, no more than were sampled
    assert all(t['n'] == len(probs) and t['generations'] <= t['k'] for t in table)
    assert table[0]['answers'] < 1 and table[1]['refine_maj'] == table[2]['refine_maj'] == 1.0  # at 2, a rejected answer does not fit
    assert table[-1]['diff'] == pytest.approx(table[-1]['refine_maj'] - table[-1]['actor_maj'])
    greedy = solve(probs, actor, prompt=steps_messages, progress=False)
    seq = critique_refine(probs, greedy, actor, critic, rounds=2, progress=False)
    st = sequential_table(probs, seq, samples)
    assert st[0]['acc'] == sum(g.correct for g in greedy) / len(probs) and st[-1]['acc'] == 1.0
    assert all(row['generations'] <= row['budget'] + 1 for row in st)  # a round's last critique is counted where it is spent


def test_oracle_skips_right_answers_and_unreadable_critiques_stop(setup):
    probs, actor, critic = setup
    greedy = solve(probs, actor, prompt=steps_messages, progress=False)
    orc = critique_refine(probs, greedy, actor, critic, oracle=True, progress=False)
    assert all(r.generations == 1 for r, g in zip(orc, greedy) if g.correct)
    mute = Chat(backend=FunctionBackend(lambda m, n, s: ['I cannot say.'] * n, 'mute'))
    stuck = critique_refine(probs, greedy, actor, mute, rounds=3, progress=False)
    assert all(r.critiques == [None] and r.final is g for r, g in zip(stuck, greedy))
    assert critiques(probs[:2], greedy[:2], mute, progress=False) == [None, None]
