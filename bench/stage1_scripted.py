"""Stage 1 at scale with a scripted teacher and inspector, on real problems (MATH500 and GSM8K test).

The teacher rewrites each reference solution mechanically (its lines or paragraphs become steps, the
reference answer is boxed), and faults are injected reproducibly: a wrong answer in 15% of first
drafts, 5% of second drafts and half of those again in third drafts, no format at all in 10% of first drafts, and an inspector that rejects
10% of the drafts it sees first. Prints the inspection statistics, the HSFT dataset's size and the time.
Not a test: run it and read it.
"""
import hashlib, json, tempfile, time
from pathlib import Path

from supercorrect_nb.chat import Chat, FunctionBackend, run_sync
from supercorrect_nb.data import load_problems
from supercorrect_nb.steps import HierarchicalSolution, Step, render_solution, split_steps
from supercorrect_nb.templates import make_templates, save_sft, sft_dataset, sft_rows


def draw(*parts) -> float:
    return int(hashlib.sha256('|'.join(map(str, parts)).encode()).hexdigest()[:8], 16) / 0x100000000


def main():
    import datasets
    datasets.disable_progress_bars()
    problems = load_problems('math500') + load_problems('gsm8k', 'test')
    by_question = {p.question: p for p in problems}

    def teacher(messages, n, s):
        p = next(q for t, q in by_question.items() if t in messages[1]['content'])
        rev = (len(messages) - 2) // 2
        steps = [Step(t) for t in split_steps(p.solution.split('####')[0])] or [Step(p.solution)]
        longest = max(range(len(steps)), key=lambda i: len(steps[i].text))
        steps[longest].key = 'This is the step that carries the problem; check it twice.'
        answer = p.answer
        if ((rev == 0 and draw(p.id, 'wrong0') < 0.15) or (rev == 1 and draw(p.id, 'wrong1') < 0.05)
                or (rev == 2 and draw(p.id, 'wrong1') < 0.025)): answer = f'{answer}+1'
        if rev == 0 and draw(p.id, 'noformat') < 0.10: return [f'The answer is {answer}.'] * n
        return [render_solution(HierarchicalSolution(steps, 'Name the quantities, relate them, then compute.',
                                                     f'\\boxed{{{answer}}}')) + f'\n<!-- draft {rev} -->'] * n

    def inspector(messages, n, s):
        text = messages[1]['content']
        reject = 'draft 0 -->' in text and draw(text, 'inspect') < 0.10
        return ['<Verdict>reject</Verdict><Faults>Step 1 skips a justification.</Faults>' if reject else '<Verdict>accept</Verdict>'] * n

    with tempfile.TemporaryDirectory() as d:
        store = Path(d) / 'chat.sqlite'
        t0 = time.perf_counter()
        run = run_sync(make_templates(problems, Chat(backend=FunctionBackend(teacher, 'scripted-teacher'), store=store),
                                      Chat(backend=FunctionBackend(inspector, 'scripted-inspector'), store=store), progress=False))
        wall = time.perf_counter() - t0
        ds = sft_dataset(sft_rows(problems, run))
        save_sft(ds, Path(d) / 'sft', run)
        card = (Path(d) / 'sft' / 'README.md').read_text()
    print(json.dumps(run.stats(), indent=1))
    print({k: v.num_rows for k, v in ds.items()})
    print(card[card.index('## Lengths'):].strip())
    print(f'{len(problems)} problems in {wall:.1f} s')


if __name__ == '__main__':
    main()
