"""Run rows of the student study (`student.STUDY_ROWS`) one after another, appending each to `data/student/study.jsonl`.

    OMP_NUM_THREADS=1 python bench/student_study.py restate verdict-first
    python bench/student_study.py --recheck continue-own    # measure a trained row again (same seeds), replacing its `checking`

A row already in the file is skipped; a killed row resumes from its last checkpoint.
"""
import json, sys
from pathlib import Path
from supercorrect_nb.student import STUDY, STUDY_ROWS, card_checking, study_row

def rows() -> list[dict]: return [json.loads(l) for l in STUDY.read_text().splitlines()] if STUDY.exists() else []

def show(row: dict):
    ck = row['checking']
    print(f"{row['name']}: planted F1 {ck['planted_f1']:.2f} {ck['planted_f1_ci']}, own F1 {ck['own_f1']:.2f} {ck['own_f1_ci']}, "
          f"greedy {ck['greedy']['acc']:.1%}, {row['minutes']:.1f} min", flush=True)

if sys.argv[1:2] == ['--recheck']:
    for name in sys.argv[2:]:
        old = rows()
        row = next(r for r in old if r['name'] == name)
        row['checking'] = card_checking(Path('runs/study') / name / 'final', **STUDY_ROWS[name].get('check', {}))
        STUDY.write_text(''.join(json.dumps(r if r['name'] != name else row) + '\n' for r in old))
        show(row)
else:
    for name in sys.argv[1:]:
        if name in {r['name'] for r in rows()}: print(f'{name}: already in {STUDY.name}'); continue
        row = study_row(name)
        with STUDY.open('a') as f: f.write(json.dumps(row) + '\n')
        show(row)
