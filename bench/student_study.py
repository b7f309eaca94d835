"""Run rows of the student study (`student.STUDY_ROWS`) one after another, appending each to `data/student/study.jsonl`.

    OMP_NUM_THREADS=1 python bench/student_study.py restate verdict-first

A row already in the file is skipped; a killed row resumes from its last checkpoint.
"""
import json, sys
from supercorrect_nb.student import STUDY, study_row

done = {json.loads(l)['name'] for l in STUDY.read_text().splitlines()} if STUDY.exists() else set()
for name in sys.argv[1:]:
    if name in done: print(f'{name}: already in {STUDY.name}'); continue
    row = study_row(name)
    with STUDY.open('a') as f: f.write(json.dumps(row) + '\n')
    ck = row['checking']
    print(f"{name}: planted F1 {ck['planted_f1']:.2f} {ck['planted_f1_ci']}, own F1 {ck['own_f1']:.2f} {ck['own_f1_ci']}, "
          f"greedy {ck['greedy']['acc']:.1%}, {row['minutes']:.1f} min", flush=True)
