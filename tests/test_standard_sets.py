"""`load_problems` reads the field's standard test sets in the shapes evaluation harnesses ship them (Qwen2.5-Math's
evaluation data: AIME 2024, AMC 2023, Minerva Math, OlympiadBench, GaoKao 2023 En, College Math; and MATH500, GSM8K),
by their fields alone. The files here are copies of our own in those shapes; a row that fits no shape is an error
naming the file, the line and the shapes expected."""
import json

import pytest

from supercorrect_nb.data import load_problems
from supercorrect_nb.records import RecordError

SETS = {  # set: (rows in the harness's shape, the reference answers load_problems must give)
    'aime24': ([{'id': 60, 'problem': 'How many?', 'question': 'How many?', 'solution': 'Count. $\\boxed{204}$', 'answer': '204',
                 'url': 'u'},
                {'id': 61, 'problem': 'Which?', 'question': 'Which?', 'solution': 's', 'answer': '025', 'url': 'u'}], ['204', '025']),
    'amc23': ([{'id': 0, 'problem': 'P', 'question': 'P', 'answer': 27.0, 'url': 'u'},
               {'id': 2, 'problem': 'P2', 'question': 'P2', 'answer': 2.5, 'url': 'u'}], ['27', '2.5']),
    'minerva_math': ([{'problem': 'Find the mass.', 'solution': 'So $\\boxed{1.6}$.', 'type': 'Astronomy', 'idx': 0},
                      {'problem': 'And the energy?', 'solution': 'It is \\boxed{4.5e33} erg.', 'type': 'Physics', 'idx': 1}],
                     ['1.6', '4.5e33']),
    'olympiadbench': ([{'id': 1606, 'subfield': 'Combinatorics', 'context': None, 'question': 'Find n.', 'solution': ['One.', 'Two.'],
                        'final_answer': ['$2$'], 'is_multiple_answer': False, 'unit': None, 'answer_type': 'Numerical', 'error': None},
                       {'id': 1607, 'subfield': 'Algebra', 'context': None, 'question': 'Find x and y.', 'solution': ['s'],
                        'final_answer': ['$x=1$', '$y=2$'], 'is_multiple_answer': True, 'unit': None, 'answer_type': 'Expression',
                        'error': None}], ['2', 'x=1, y=2']),
    'gaokao2023en': ([{'source': 'gaokao', 'question': 'Let z = 1 + i. Find |z|.', 'lang': 'en', 'answer': '$\\sqrt{2}$'},
                      {'source': 'gaokao', 'question': 'Q', 'lang': 'en', 'answer': 'A', 'sourcename': 'x', 'id': 'g-2'}],
                     ['\\sqrt{2}', 'A']),
    'college_math': ([{'data_source': 'book', 'question_number': '1.1.1', 'question': 'Solve x + 1 = 3.', 'answer': '$2$',
                       'license': 'CC BY-NC-SA 4.0', 'data_topic': 'college_math.algebra'},
                      {'data_source': 'book', 'question_number': '1.1.2', 'question': 'Solve.', 'answer': '$[0, 1)$',
                       'license': 'CC BY 4.0', 'data_topic': 'college_math.algebra'}], ['2', '[0, 1)']),
    'math500': ([{'problem': 'P', 'solution': 's $\\boxed{\\frac{1}{2}}$', 'answer': '\\frac{1}{2}', 'subject': 'Algebra', 'level': 3,
                  'unique_id': 'test/algebra/1.json'}], ['\\frac{1}{2}']),
    'gsm8k': ([{'question': 'Q?', 'answer': 'So 2 + 2 = 4\n#### 4', 'idx': 0}], ['4']),
}


def write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return path


@pytest.mark.parametrize('name', list(SETS))
def test_every_standard_set_loads_with_its_reference_answers(tmp_path, name):
    rows, answers = SETS[name]
    probs = load_problems(str(write(tmp_path / name / 'test.jsonl', rows)))
    assert [p.answer for p in probs] == answers
    assert all(p.question for p in probs) and len({p.id for p in probs}) == len(rows)
    own = 'math/' if name == 'math500' else f'{name}/'  # MATH's rows keep their `unique_id`; the rest take the folder's name
    assert all(p.id.startswith(own) for p in probs)


def test_a_row_that_fits_no_format_names_the_file_the_line_and_the_formats(tmp_path):
    path = write(tmp_path / 'aime24' / 'test.jsonl', [SETS['aime24'][0][0], {'id': 62, 'question': 'Q', 'answer': ['1']}])
    with pytest.raises(RecordError) as e: load_problems(str(path))
    assert 'test.jsonl:2' in str(e.value) and "answer" in str(e.value) and 'expected text or a number' in str(e.value)
    with pytest.raises(RecordError) as e: load_problems(str(write(tmp_path / 'odd' / 'test.jsonl', [{'prompt': 'p'}])))
    assert 'test.jsonl:1' in str(e.value) and 'expected one of' in str(e.value) and "OlympiadBench ('question', 'final_answer'" in str(e.value)
