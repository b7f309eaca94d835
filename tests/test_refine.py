"""Critique and refine at test time: budgets are counted right, an exact critic never breaks a right
answer, and the equal-budget tables pair the same problems."""
import random
import re

import pytest

from supercorrect_nb.chat import Chat, FunctionBackend
from supercorrect_nb.critic import critiques, discrimination
from supercorrect_nb.prompts import steps_messages
from supercorrect_nb.refine import Refined, budget_table, critique_refine, refinement_stats, sequential_table
from supercorrect_nb.solving import solve
from supercorrect_nb.steps import Step, _render_step, parse_solution
from supercorrect_nb.testbed import exact_teacher, generate, parse_question, step_text


def actor_fn(messages, n, s):
    "Slips by one in a drawn step of a fresh answer (half the time), goes on rightly from any prefix."
    q = messages[1]['content']
    prog = parse_question(q)
    done = messages[-1]['content'] if messages[-1]['role'] == 'assistant' else ''
    have = [x.text for x in parse_solution(done).steps] if '<Step' in done else []
    known = prog.values()
    for t in have: known[t.split(' has ')[0]] = int(re.search(r'= (-?\d+)', t)[1])
    out = []
    for i in range(n):
        rng = random.Random(f'{q}|{s.seed}|{i}|{s.temperature}|{len(have)}')
        todo = [f for f in prog.needed() if f.op != 'has'][len(have):]
        slip = rng.randrange(2 * len(todo)) if not have and todo else -1
        kn, rest = dict(known), []
        for j, f in enumerate(todo):
            kn[f.name] = v = f.value(kn)
            st = step_text(f, kn, prog.obj)
            if j == slip and j == len(todo) - 1: st, kn[f.name] = st.replace(f'= {v} ', f'= {v + 1} '), v + 1
            rest.append(st)
        out.append(''.join(_render_step(j, Step(t)) + '\n' for j, t in enumerate(rest, len(have) + 1)) + f'<Answer>\\boxed{{{kn[prog.target]}}}</Answer>')
    return out


@pytest.fixture(scope='module')
def setup():
    probs = generate(40, 'validation', seed=8, min_steps=2, max_steps=5)
    return probs, Chat(backend=FunctionBackend(actor_fn, 'actor')), Chat(backend=FunctionBackend(exact_teacher, 'exact'))


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
