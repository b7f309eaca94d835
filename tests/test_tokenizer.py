"""The one BPE builder: added tokens stay whole, the specials come first, the ChatML template is set, and the
student's tokenizer is the shipped student's."""
import json

from supercorrect_nb.student import STUDENT_DIR, student_tokenizer, tag_tokens
from supercorrect_nb.tokenizer import CHATML_TEMPLATE, SPECIALS, bpe_tokenizer, split_around

TEXTS = [f'<Step1>Ann has {i} apples.</Step1>\nCompared with Ann, Ben has {i % 7} more apples.' for i in range(300)]


def test_split_around_longest_first():
    assert split_around(['ab<Step10>cd'], ['<Step1', '<Step10>']) == ['ab', 'cd']
    assert split_around(['\n\n', 'x\ny'], ['\n']) == ['x', 'y']


def test_added_tokens_are_whole_and_specials_first():
    tok = bpe_tokenizer(TEXTS, 300, added=['\n', '<Step1>', '</Step1>'], prefix_space=True, clean_up_spaces=False)
    assert tok.convert_ids_to_tokens([0, 1, 2]) == list(SPECIALS)
    assert tok.chat_template == CHATML_TEMPLATE and (tok.eos_token, tok.pad_token) == ('<|im_end|>', '<|endoftext|>')
    ids = tok('<Step1>Ann has 3 apples.</Step1>\n')['input_ids']
    toks = tok.convert_ids_to_tokens(ids)
    assert toks[0] == '<Step1>' and toks[-2:] == ['</Step1>', '\n'] and 'ĠAnn' in toks
    assert len(tok) == 303


def test_without_added_tokens_the_texts_train_as_given():
    tok = bpe_tokenizer(TEXTS, 300)
    assert tok.decode(tok('Ann has 3 apples.')['input_ids']) == 'Ann has 3 apples.'
    assert len(tok) == 300


def test_student_tokenizer_matches_the_shipped_student():
    "The shipped tokenizer holds the tags and instructions as added tokens, after the learned vocabulary, as built here."
    from supercorrect_nb.student import fixed_tokens
    shipped = json.loads((STUDENT_DIR / 'tokenizer.json').read_text())
    tok = student_tokenizer(TEXTS, 400)
    ours = json.loads(tok.backend_tokenizer.to_str())
    assert [t['content'] for t in ours['added_tokens']][-len(fixed_tokens()):] == fixed_tokens()
    assert set(fixed_tokens()) <= {t['content'] for t in shipped['added_tokens']}  # a warm start adds what its first tokenizer lacked
    assert all(t in tok.get_vocab() for t in tag_tokens())


def test_the_shipped_recipe_rebuilds_the_shipped_vocabulary():
    "Built as `pretrain` built the shipped student's first tokenizer (`verdict-long`: 60,000 problems, seed 0, the first 5,000 conversations), the learned vocabulary and merges are the shipped ones."
    from supercorrect_nb.student import conversations
    from supercorrect_nb.testbed import generate
    rows = conversations(generate(60000, 'train', seed=0, min_steps=2, max_steps=5), seed=0, layout='verdict')
    ours = json.loads(student_tokenizer([m['content'] for r in rows[:5000] for m in r['prompt'] + r['completion']], 1024)
                      .backend_tokenizer.to_str())
    shipped = json.loads((STUDENT_DIR / 'tokenizer.json').read_text())
    assert ours['model']['vocab'] == shipped['model']['vocab'] and ours['model']['merges'] == shipped['model']['merges']
