"""Paper-scale throughput on one GPU: generation tok/s and HSFT/DPO steps/s, peak memory and MFU of a ~0.5B Qwen2.

Issue 13's second part. Nothing is downloaded: the model is a randomly initialised `Qwen2ForCausalLM` with the
shape of Qwen2.5-0.5B (hidden 896, 14 heads, 2 KV heads, intermediate 4864, tied embeddings, rope theta 1e6) but
the shipped testbed student's tokenizer (a vocabulary of a few hundred tokens, padded to a multiple of 64), so it
takes 32 layers instead of 24 to keep about 0.5B parameters. It is saved (bf16 safetensors) with that tokenizer to
a temporary folder, which every section loads like any model folder.

Sections (each in its own try/except, so one that fails still leaves the others' figures):

* `env`: versions, the GPU, whether vLLM imports.
* `model`: the config and the exact parameter count.
* `generation`: testbed solve prompts (as bench/generation_throughput.py), temperature 0.7, up to 256 new tokens,
  for batch sizes 64 and 256: bare `model.generate` on batches of B (stopping after `--gen-cap` seconds), then
  `TransformersBackend(..., batch_size=B)._generate` (the path every stage samples through) on the same prompts: in
  batches of B, or all in one call where the backend refills its own B slots (`refills`). Tok/s of each, their
  ratio, peak memory. Random weights end a row only by chance (their end tokens are 2 of 704), so many rows run to
  the budget; tokens are counted up to each row's end token. Then vLLM's backend, where vLLM imports.
* `sft`: HSFT through `supercorrect_nb.training` (`train_config('sft', ...)`, `build_trainer`) on testbed
  hierarchical solutions (prompt/completion rows as `templates.sft_rows` writes them), packing on (TRL's default
  'bfd' strategy, which is padding-free: each batch is one sequence with a block-diagonal mask), bf16: steps/s,
  tokens/s, peak memory, MFU.
* `dpo_precomputed_ref`, `dpo_live_ref`: cross-DPO through the same module on testbed correction pairs (the pair
  prompt, the exact verdict as chosen and 'Correct.' as rejected), bf16; with the reference log-probs precomputed
  when the trainer is built (the project's default: no reference forward in a step) and with a live reference.
* `sft_wrapped`: the HSFT run again with TRL's 'wrapped' packing (full max_length rows, a plain causal mask), to
  show what the padding-free block mask costs under sdpa.

Each optimizer step's end is timed (a `TrainerCallback`, CUDA synchronised); the first `--warmup` steps are left
out; no checkpoint is written. Tokens per step are TRL's own count (non-padding tokens; for DPO chosen+rejected).
MFU = FLOPs / s / peak, with FLOPs = 6 N per trained token (forward and backward), plus 2 N per token for a live
DPO reference forward; N counts every parameter; attention's own FLOPs are left out. Peaks: 989 TFLOP/s (H200
dense bf16, datasheet) and 790 TFLOP/s (an 8192^3 bf16 matmul measured on this machine kind).

`--tiny`: a 2-layer, 64-wide model on the CPU with small counts, a smoke run of the whole script.
`--out DIR`: also write DIR/paper_scale.json with every figure (rewritten after each section).
`--deadline S`: skip the sections that would start after S seconds (the table and the JSON still come).
"""
import argparse, contextlib, gc, importlib, json, math, os, platform, random, shutil, sys, tempfile, time, traceback

os.environ.setdefault('TQDM_DISABLE', '1')  # the trainers' own bars (TRL's reference pass ignores disable_tqdm)
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
import torch  # noqa: E402

PEAKS = {'datasheet_989T': 989e12, 'measured_790T': 790e12}  # bf16 dense FLOP/s of one H200


def log(*a): print(*a, flush=True)


def sync():
    if torch.cuda.is_available(): torch.cuda.synchronize()


def reset_memory():
    gc.collect()
    if torch.cuda.is_available(): torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()


def peak_memory() -> dict:
    if not torch.cuda.is_available(): return {'peak_alloc_gib': None, 'peak_reserved_gib': None}
    return {'peak_alloc_gib': round(torch.cuda.max_memory_allocated() / 2**30, 2),
            'peak_reserved_gib': round(torch.cuda.max_memory_reserved() / 2**30, 2)}


def mfu(flops_per_s: float | None, gpu: bool) -> dict:
    if not gpu or not flops_per_s: return {f'mfu_{k}': None for k in PEAKS}
    return {f'mfu_{k}': round(flops_per_s / v, 4) for k, v in PEAKS.items()}


class Runner:
    """Runs each section in its own try/except (a failure is printed and recorded, the next section still runs), skips
    sections once `deadline` seconds have passed, and rewrites the JSON after each section."""
    def __init__(self, R: dict, out: str | None, deadline: float | None):
        self.R, self.out, self.deadline, self.t0 = R, out, deadline, time.perf_counter()

    def elapsed(self) -> float: return time.perf_counter() - self.t0

    def __call__(self, name: str, fn):
        res = self.R.setdefault(name, {})
        if self.deadline and self.elapsed() > self.deadline:
            res['skipped'] = f'past the deadline ({self.elapsed():.0f} s > {self.deadline:.0f} s)'
            log(f'\n===== {name}: skipped, {res["skipped"]}'); return
        log(f'\n===== {name} =====')
        t0 = time.perf_counter()
        try: fn(res)
        except Exception as e:  # noqa: BLE001  (any failure: report it, keep the other sections)
            res['error'] = f'{type(e).__name__}: {e}'
            log(f'!! {name} failed: {type(e).__name__}: {e}')
            traceback.print_exc(file=sys.stdout)
        res['section_s'] = round(time.perf_counter() - t0, 1)
        log(f'----- {name}: {res["section_s"]} s (total {self.elapsed():.0f} s)')
        self.save()

    def save(self):
        if not self.out: return
        os.makedirs(self.out, exist_ok=True)
        p = os.path.join(self.out, 'paper_scale.json')
        with open(p + '.tmp', 'w') as fh: json.dump(self.R, fh, indent=1, default=str)
        os.replace(p + '.tmp', p)
        return p


# ---------------------------------------------------------------- env
def env_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {'python': platform.python_version(), 'torch': torch.__version__, 'cuda': torch.version.cuda,
           'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, 'threads': torch.get_num_threads()}
    for p in ('transformers', 'trl', 'datasets', 'accelerate', 'peft', 'tokenizers', 'huggingface_hub', 'pydantic',
              'pydantic_core', 'fastcore', 'typing_extensions', 'pyarrow', 'numpy', 'flash_attn', 'vllm'):
        try: out[p] = version(p)
        except PackageNotFoundError: out[p] = None
    try: importlib.import_module('vllm'); out['vllm_import'] = 'ok'
    except Exception as e: out['vllm_import'] = f'not installed ({type(e).__name__})'  # noqa: BLE001
    return out


# ---------------------------------------------------------------- model
def build_model(folder: str, tiny: bool, gpu: bool, layers: int | None) -> dict:
    "A random Qwen2 (Qwen2.5-0.5B's shape, the student's tokenizer) saved with that tokenizer to `folder`."
    from transformers import AutoTokenizer, GenerationConfig, Qwen2Config, Qwen2ForCausalLM
    from supercorrect_nb.student import STUDENT_DIR
    tok = AutoTokenizer.from_pretrained(STUDENT_DIR)
    if tok.pad_token is None: tok.pad_token = tok.eos_token
    vocab = math.ceil(len(tok) / 64) * 64
    shape = (dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
             if tiny else dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=32, num_attention_heads=14,
                               num_key_value_heads=2))
    if layers: shape['num_hidden_layers'] = layers
    cfg = Qwen2Config(vocab_size=vocab, max_position_embeddings=4096, rms_norm_eps=1e-6, tie_word_embeddings=True,
                      rope_parameters={'rope_type': 'default', 'rope_theta': 1e6}, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id, bos_token_id=None, use_cache=True, **shape)
    dtype = torch.bfloat16 if gpu else torch.float32
    torch.manual_seed(0)
    with torch.device('cuda' if gpu else 'cpu'): model = Qwen2ForCausalLM(cfg).to(dtype)
    n = sum(p.numel() for p in model.parameters())
    n_emb = model.get_input_embeddings().weight.numel()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id).save_pretrained(folder)
    del model; reset_memory()
    out = dict(n_params=n, n_params_non_embedding=n - n_emb, vocab_size=vocab, tokenizer_len=len(tok), dtype=str(dtype),
               **shape, rope_theta=1e6, tie_word_embeddings=True)
    log(f'random Qwen2: {n:,} parameters ({n / 1e9:.3f}B; {n - n_emb:,} without the tied embedding), '
        f"{shape['num_hidden_layers']} layers, hidden {shape['hidden_size']}, vocab {vocab} (tokenizer {len(tok)}), {dtype}")
    return out


# ---------------------------------------------------------------- generation
def solve_prompts(n: int) -> list[list[dict]]:
    "Testbed solve prompts, as bench/generation_throughput.py builds them."
    from supercorrect_nb.prompts import solve_messages
    from supercorrect_nb.testbed import generate as problems
    return [solve_messages(p) for p in problems(n, 'test', seed=0, min_steps=2, max_steps=5)]


def end_ids(be) -> set:
    e = be.model.generation_config.eos_token_id
    return {be.tok.eos_token_id, be.tok.pad_token_id} | set(e if isinstance(e, list) else [e])


def count_until_end(rows: list[list[int]], ends: set) -> int:
    return sum(next((i for i, t in enumerate(r) if t in ends), len(r)) for r in rows)


def way_generate(be, msgs, s, ends) -> int:
    "Bare `model.generate` on one batch; its new tokens up to each row's end."
    texts = [be.prompt_text(m) for m in msgs]
    enc = be.tok(texts, return_tensors='pt', padding=True, add_special_tokens=False).to(be.model.device)
    with torch.inference_mode(): out = be.model.generate(**enc, **be._generate_kw(s))
    return count_until_end(out[:, enc['input_ids'].shape[1]:].tolist(), ends)


def way_backend(be, msgs, s, ends) -> int:
    "The backend's `_generate` on `msgs`: its completion tokens."
    return sum(r.completion_tokens for r in be._generate([(m, 1, 0) for m in msgs], s))


def refills(be) -> bool:
    "Whether the backend's `_generate` keeps its own `batch_size` rows busy (takes every prompt at once, refills slots)."
    return bool(getattr(be, 'refills', False))


def timed(fn, be, batches, s, ends, cap_s: float) -> dict:
    "Run `fn` on each batch (stopping once `cap_s` seconds have passed); tokens, seconds, tok/s."
    torch.manual_seed(0)
    sync(); t0 = time.perf_counter(); toks = done = rows = 0
    for b in batches:
        toks += fn(be, b, s, ends); done += 1; rows += len(b)
        sync()
        if time.perf_counter() - t0 > cap_s: break
    wall = time.perf_counter() - t0
    return dict(calls=done, rows=rows, tokens=toks, seconds=round(wall, 3), tok_s=round(toks / wall, 1),
                tokens_per_row=round(toks / max(rows, 1), 1))


def generation(folder: str, a, gpu: bool, n_params: int, res: dict):
    """For each batch size B: bare `generate` on batches of B (until `--gen-cap` seconds), then the backend on the same
    prompts: in batches of B, or, for a backend that refills its B slots itself, all those prompts in one call."""
    from supercorrect_nb.chat import Sampling, TransformersBackend
    s, warm = Sampling(temperature=0.7, max_tokens=a.gen_tokens), Sampling(temperature=0.7, max_tokens=8)
    msgs = solve_prompts(a.gen_prompts)
    res.update(prompts=len(msgs), temperature=0.7, max_new_tokens=a.gen_tokens, by_batch={})
    for B in a.gen_batch:
        reset_memory()
        be = TransformersBackend(folder, device='cuda' if gpu else 'cpu', dtype='bfloat16' if gpu else None, batch_size=B)
        ends = end_ids(be)
        if 'prompt_tokens_mean' not in res:
            lens = [len(be.tok(be.prompt_text(m), add_special_tokens=False)['input_ids']) for m in msgs]
            res.update(prompt_tokens_mean=round(sum(lens) / len(lens), 1), dtype=str(be.model.dtype),
                       attn_implementation=be.model.config._attn_implementation)
            log(f'{len(msgs)} prompts ({res["prompt_tokens_mean"]} tokens on average), temperature 0.7, up to {a.gen_tokens} '
                f'new tokens, {be.model.dtype}, attention {res["attn_implementation"]}, backend refills its slots: {refills(be)}')
        batches = [msgs[i:i + B] for i in range(0, len(msgs), B)]
        way_generate(be, batches[0], warm, ends); way_backend(be, batches[0], warm, ends)  # warm-up, untimed
        reset_memory()
        row = {'generate': timed(way_generate, be, batches, s, ends, a.gen_cap)}
        gen_mem = peak_memory(); reset_memory()
        done = msgs[:row['generate']['rows']]  # the prompts generate got through: the backend answers the same ones
        row['backend'] = timed(way_backend, be, [done] if refills(be) else batches[:row['generate']['calls']], s, ends, 1e9)
        row['backend']['refills'] = refills(be)
        row['ratio_backend_to_generate'] = round(row['backend']['tok_s'] / row['generate']['tok_s'], 3)
        row['generate'].update(gen_mem); row['backend'].update(peak_memory())
        for w in ('generate', 'backend'):  # decoding FLOPs: 2 N per generated token (prompt and attention left out)
            row[w].update(mfu(2 * n_params * row[w]['tok_s'], gpu))
        res['by_batch'][str(B)] = row
        for w in ('generate', 'backend'):
            r = row[w]
            log(f'  batch {B:4d} {w:9s} {r["rows"]:4d} rows {r["tokens"]:8d} tokens ({r["tokens_per_row"]}/row) in {r["calls"]} '
                f'calls {r["seconds"]:7.2f} s {r["tok_s"]:9.1f} tok/s  peak {r["peak_alloc_gib"]} GiB')
        log(f'  batch {B:4d} backend/generate = {row["ratio_backend_to_generate"]:.3f}')
        del be; reset_memory()


def generation_vllm(folder: str, a, res: dict):
    try: importlib.import_module('vllm')
    except Exception as e:  # noqa: BLE001
        log(f'vllm: not installed ({type(e).__name__}: {e})'); res['status'] = 'not installed'; return
    from supercorrect_nb.chat import Sampling, VLLMBackend
    s = Sampling(temperature=0.7, max_tokens=a.gen_tokens)
    msgs = solve_prompts(a.gen_prompts)
    be = VLLMBackend(folder, dtype='bfloat16', batch_size=len(msgs), gpu_memory_utilization=0.5, enforce_eager=False)
    be._generate([(m, 1, 0) for m in msgs[:8]], Sampling(temperature=0.7, max_tokens=8))
    t0 = time.perf_counter()
    toks = sum(r.completion_tokens for r in be._generate([(m, 1, 0) for m in msgs], s))
    wall = time.perf_counter() - t0
    res.update(status='ok', prompts=len(msgs), tokens=toks, seconds=round(wall, 3), tok_s=round(toks / wall, 1))
    log(f'  vllm {toks} tokens {wall:.2f} s {toks / wall:.1f} tok/s')
    del be; reset_memory()


# ---------------------------------------------------------------- training
def sft_rows(n: int) -> list[dict]:
    "HSFT rows as `templates.sft_rows` writes them: the solve prompt and a hierarchical solution (the testbed's reference)."
    from supercorrect_nb.prompts import solve_messages
    from supercorrect_nb.testbed import generate
    return [dict(prompt=solve_messages(p), completion=[{'role': 'assistant', 'content': p.solution}])
            for p in generate(n, 'train', seed=1, min_steps=2, max_steps=8)]


def dpo_rows(n: int) -> list[dict]:
    """Cross-DPO rows as `PreferencePair.to_trl` writes them: a solution with a planted error cut at its first wrong step;
    chosen, the exact verdict with cause and correction; rejected, 'Correct.' (a student that missed the error)."""
    from supercorrect_nb.mining import correction_text
    from supercorrect_nb.prompts import pair_messages
    from supercorrect_nb.student import wrong_steps
    from supercorrect_nb.testbed import generate, judge_steps, parse_question
    rng, rows = random.Random(0), []
    for p in generate(2 * n, 'train', seed=2, min_steps=2, max_steps=8):
        prog = parse_question(p.question)
        steps = wrong_steps(prog, rng)
        v = judge_steps(prog, steps)
        if v.first_wrong is None or not v.correction: continue
        k = v.first_wrong
        rows.append(dict(prompt=pair_messages(p, steps, k),
                         chosen=[{'role': 'assistant', 'content': correction_text(k, False, v.cause, v.correction)}],
                         rejected=[{'role': 'assistant', 'content': correction_text(k, True)}]))
        if len(rows) == n: break
    return rows


def row_tokens(tok, rows: list[dict], keys: tuple) -> list[int]:
    "Tokens of each row's prompt plus each of `keys` in the chat template (one count per key per row)."
    out = []
    for r in rows:
        for k in keys: out.append(len(tok.apply_chat_template(r['prompt'] + r[k], tokenize=True, return_dict=False)))
    return out


def make_timer(skip: int):
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        "The time (and the trainer's token count) at the end of each optimizer step; no checkpoint is saved."
        def __init__(self): self.times, self.tokens, self.trainer = [], [], None

        def on_train_begin(self, args, state, control, **kw):
            sync(); self.t_begin = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            sync()
            self.times.append(time.perf_counter())
            self.tokens.append(getattr(self.trainer, '_total_train_tokens', None))
            control.should_save = False
            return control

        def figures(self) -> dict:
            n = len(self.times) - skip
            if n < 1: raise RuntimeError(f'only {len(self.times)} steps ran; {skip} are warm-up')
            wall = self.times[-1] - self.times[skip - 1] if skip else self.times[-1] - self.t_begin
            tok = (self.tokens[-1] - (self.tokens[skip - 1] if skip else 0)) if self.tokens[-1] is not None else None
            return dict(steps_timed=n, warmup_steps=skip, seconds=round(wall, 3), steps_per_s=round(n / wall, 3),
                        s_per_step=round(wall / n, 4), tokens_timed=tok, first_step_s=round(self.times[0] - self.t_begin, 3))
    return Timer()


def train_section(method: str, folder: str, a, gpu: bool, n_params: int, rows: list[dict], overrides: dict,
                  flops_per_token: int, res: dict):
    from datasets import Dataset, DatasetDict
    from supercorrect_nb.training import build_trainer, train_config
    out = tempfile.mkdtemp(prefix=f'paper_scale_{method}_', dir=a.work)
    strategy = overrides.pop('packing_strategy', None)
    cfg = train_config(method, folder, out, bf16=gpu, attn=a.attn, max_length=a.max_length, grad_accum=1,
                       lr=1e-5 if method == 'sft' else 1e-6, scheduler='constant', warmup_ratio=0.0,
                       gradient_checkpointing=a.grad_ckpt, logging_steps=5, save_steps=10**6, save_total_limit=None,
                       progress=False, **overrides)
    if strategy:  # the project's config with one more TRL setting: the same run through a subclass
        base, cls = type(cfg), type(f'{type(cfg).__name__}_{strategy}', (type(cfg),), {})

        def trl_args(self):
            args = base.trl_args(self); args.packing_strategy = strategy
            return args
        cls.trl_args = trl_args
        cfg = cls(**cfg.model_dump())
    reset_memory()
    t0 = time.perf_counter()
    trainer = build_trainer(cfg, DatasetDict(train=Dataset.from_list(rows)))
    sync(); build_s = time.perf_counter() - t0
    timer = make_timer(a.warmup); timer.trainer = trainer
    trainer.add_callback(timer)
    model = trainer.model
    attn_impl = getattr(model.config, '_attn_implementation', None)
    info = dict(method=method, rows=len(rows), max_steps=cfg.max_steps, per_device_batch=cfg.per_device_batch, grad_accum=1,
                max_length=cfg.max_length, bf16=trainer.args.bf16, attn_requested=a.attn, attn_implementation=attn_impl,
                model_dtype=str(next(model.parameters()).dtype), gradient_checkpointing=a.grad_ckpt,
                build_trainer_s=round(build_s, 2))
    if method == 'sft':
        info.update(packing=trainer.args.packing, packing_strategy=getattr(trainer.args, 'packing_strategy', None),
                    padding_free=getattr(trainer, 'padding_free', None), completion_only_loss=cfg.completion_only_loss,
                    packed_rows=len(trainer.train_dataset))
    else:
        info.update(precompute_ref=cfg.precompute_ref, ref_model_in_memory=getattr(trainer, 'ref_model', None) is not None,
                    beta=cfg.beta, loss_type=cfg.loss_type)
    log(' '.join(f'{k}={v}' for k, v in info.items()))
    res.update(info)
    t0 = time.perf_counter()
    trainer.train()
    sync(); res['train_s'] = round(time.perf_counter() - t0, 2)
    res.update(timer.figures()); res.update(peak_memory())
    if res['tokens_timed'] is None:  # no count from the trainer: the batch's rows at their full length
        res['tokens_timed'] = res['steps_timed'] * cfg.per_device_batch * cfg.max_length * (2 if method == 'dpo' else 1)
        res['tokens_note'] = 'upper bound: per_device_batch * max_length per step'
    res['tokens_per_step'] = round(res['tokens_timed'] / res['steps_timed'], 1)
    res['tokens_per_s'] = round(res['tokens_timed'] / res['seconds'], 1)
    res['flops_per_token'] = f'{flops_per_token} N'
    res['tflops_per_s'] = round(flops_per_token * n_params * res['tokens_per_s'] / 1e12, 2)
    res.update(mfu(flops_per_token * n_params * res['tokens_per_s'], gpu))
    losses = [h['loss'] for h in trainer.state.log_history if 'loss' in h]
    res['losses'] = [round(x, 4) for x in losses]
    log(f"{method}: {res['steps_timed']} timed steps after {a.warmup} warm-up: {res['steps_per_s']} steps/s, "
        f"{res['tokens_per_step']} tokens/step, {res['tokens_per_s']:.0f} tokens/s, {res['tflops_per_s']} TFLOP/s "
        f"({flops_per_token}N per token), MFU {res['mfu_datasheet_989T']} (989T) / {res['mfu_measured_790T']} (790T), "
        f"peak {res['peak_alloc_gib']} GiB allocated / {res['peak_reserved_gib']} GiB reserved; losses {res['losses']}")
    del trainer, model, timer; reset_memory()
    shutil.rmtree(out, ignore_errors=True)


# ---------------------------------------------------------------- table
def table(R: dict) -> str:
    def f(x, p=1): return '-' if x is None else (f'{x:.{p}f}' if isinstance(x, float) else str(x))
    lines = ['', '===== summary =====']
    m = R.get('model', {})
    lines.append(f"model: random Qwen2, {f(m.get('n_params'))} params, {m.get('num_hidden_layers')} layers, "
                 f"hidden {m.get('hidden_size')}, vocab {m.get('vocab_size')}, {m.get('dtype')}; GPU {R.get('env', {}).get('gpu')}")
    g = R.get('generation', {})
    lines.append(f"{'generation':24s} {'batch':>5s} {'tok/s':>10s} {'tokens':>8s} {'s':>7s} {'MFU(2N)':>8s}")
    for B, row in g.get('by_batch', {}).items():
        for w in ('generate', 'backend'):
            r = row[w]
            lines.append(f"  {'transformers ' + w:22s} {B:>5s} {f(r['tok_s']):>10s} {r['tokens']:8d} {f(r['seconds'], 2):>7s} "
                         f"{f(r['mfu_datasheet_989T'], 4):>8s}")
        lines.append(f"  {'backend/generate':22s} {B:>5s} {f(row['ratio_backend_to_generate'], 3):>10s}   "
                     f"(backend refills its slots: {row['backend'].get('refills')}; peak GiB generate "
                     f"{f(row['generate']['peak_alloc_gib'], 2)}, backend {f(row['backend']['peak_alloc_gib'], 2)})")
    if 'error' in g: lines.append(f"  generation error: {g['error']}")
    v = R.get('vllm', {})
    lines.append(f"  {'vllm':22s} {f(v.get('tok_s')) if v.get('status') == 'ok' else v.get('status', v.get('error', '-'))}")
    lines.append(f"{'training':24s} {'steps/s':>8s} {'tok/step':>9s} {'tok/s':>9s} {'TFLOP/s':>8s} {'MFU989':>7s} {'MFU790':>7s} "
                 f"{'peak GiB':>8s}  notes")
    for k in ('sft', 'sft_wrapped', 'dpo_precomputed_ref', 'dpo_live_ref'):
        r = R.get(k)
        if r is None: continue
        if 'steps_per_s' not in r:
            lines.append(f"  {k:22s} error: {r.get('error')}"); continue
        note = (f"packing={r.get('packing')} {r.get('packing_strategy')} padding_free={r.get('padding_free')}" if k.startswith('sft')
                else f"precompute_ref={r.get('precompute_ref')}")
        lines.append(f"  {k:22s} {f(r['steps_per_s'], 3):>8s} {f(r['tokens_per_step']):>9s} {f(r['tokens_per_s'], 0):>9s} "
                     f"{f(r['tflops_per_s'], 1):>8s} {f(r['mfu_datasheet_989T'], 3):>7s} {f(r['mfu_measured_790T'], 3):>7s} "
                     f"{f(r['peak_alloc_gib'], 2):>8s}  {r['flops_per_token']}/token, batch {r['per_device_batch']}, "
                     f"max_length {r['max_length']}, {r['attn_implementation']}, bf16={r['bf16']}, {note}")
    lines.append('MFU: 6N FLOPs per trained token (8N with a live DPO reference forward), N = all parameters, attention '
                 'FLOPs left out; generation MFU: 2N per generated token. Peaks: 989 TFLOP/s datasheet, 790 measured.')
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog='\n'.join(__doc__.splitlines()[2:]))
    ap.add_argument('--tiny', action='store_true', help='a 2-layer 64-wide model on the CPU, small counts: a smoke run')
    ap.add_argument('--out', help='write paper_scale.json with every figure here')
    ap.add_argument('--sections', default='gen,vllm,sft,sft_wrapped,dpo', help='comma-separated: gen, vllm, sft, sft_wrapped, dpo')
    ap.add_argument('--layers', type=int, help='decoder layers (default 32; --tiny 2)')
    ap.add_argument('--gen-prompts', type=int, help='prompts (default 512; --tiny 16)')
    ap.add_argument('--gen-batch', help='comma-separated batch sizes (default 64,256; --tiny 8)')
    ap.add_argument('--gen-tokens', type=int, help='max new tokens (default 256; --tiny 16)')
    ap.add_argument('--gen-cap', type=float, default=45.0, help='stop a timed way after this many seconds (its tok/s still counts)')
    ap.add_argument('--sft-steps', type=int, help='timed SFT steps after the warm-up (default 30; --tiny 3)')
    ap.add_argument('--dpo-steps', type=int, help='timed DPO steps after the warm-up (default 20; --tiny 3)')
    ap.add_argument('--warmup', type=int, help='steps left out of the timing (default 5; --tiny 2)')
    ap.add_argument('--sft-batch', type=int, default=8)
    ap.add_argument('--dpo-batch', type=int, default=4)
    ap.add_argument('--max-length', type=int, help='default 1024; --tiny 512')
    ap.add_argument('--dpo-ref', default='both', choices=['both', 'precomputed', 'live'],
                    help="the reference's log-probs: precomputed before training (the project's default), a live forward, or both")
    ap.add_argument('--attn', default='sdpa', help="attention implementation (flash_attn is not installed there)")
    ap.add_argument('--grad-ckpt', action='store_true', help='activation checkpointing (the paper-8xa100 presets use it)')
    ap.add_argument('--work', help='scratch folder (default: a temporary one, removed at the end)')
    ap.add_argument('--deadline', type=float, help='skip the sections that would start after this many seconds')
    a = ap.parse_args()
    t = a.tiny
    a.layers = a.layers or None
    a.gen_prompts = a.gen_prompts or (16 if t else 512)
    a.gen_batch = [int(x) for x in (a.gen_batch or ('8' if t else '64,256')).split(',')]
    a.gen_tokens = a.gen_tokens or (16 if t else 256)
    a.sft_steps = a.sft_steps or (3 if t else 30)
    a.dpo_steps = a.dpo_steps or (3 if t else 20)
    a.warmup = a.warmup if a.warmup is not None else (2 if t else 5)
    a.max_length = a.max_length or (512 if t else 1024)
    sections = set(a.sections.split(','))

    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    with contextlib.suppress(Exception):
        import datasets
        datasets.disable_progress_bars()
    gpu = torch.cuda.is_available() and not t
    if t: torch.set_num_threads(1)  # a small model on a shared few-core CPU: more threads only contend
    if gpu: torch.backends.cuda.matmul.allow_tf32 = True
    a.work_given = a.work is not None
    work = a.work or tempfile.mkdtemp(prefix='paper_scale_')
    os.makedirs(work, exist_ok=True); a.work = work
    folder = os.path.join(work, 'model')
    R = {'args': dict(vars(a))}
    run = Runner(R, a.out, a.deadline)

    def env(res):
        res.update(env_info()); log(json.dumps(res)); log(f"vllm: {res['vllm_import']}")
    run('env', env)
    run('model', lambda res: res.update(build_model(folder, t, gpu, a.layers)))
    n = R['model'].get('n_params')
    data = {}

    def tokenizer():
        if 'tok' not in data:
            from transformers import AutoTokenizer
            data['tok'] = AutoTokenizer.from_pretrained(folder)
        return data['tok']

    def vllm(res):
        if gpu: return generation_vllm(folder, a, res)
        try: importlib.import_module('vllm'); res['status'] = 'installed; skipped without a GPU'
        except Exception: res['status'] = 'not installed'  # noqa: BLE001
        log(f"vllm: {res['status']}")

    def sft(res, strategy=None):
        if 'sft' not in data:
            probe = sft_rows(200)
            mean = sum(row_tokens(tokenizer(), probe, ('completion',))) / len(probe)
            need = math.ceil((a.warmup + a.sft_steps) * a.sft_batch * a.max_length / mean * 1.3) + a.sft_batch
            data['sft'] = sft_rows(need)
            R['sft_rows'] = dict(rows=need, tokens_per_row_mean=round(mean, 1))
            log(f'{need} HSFT rows, {mean:.0f} tokens each on average, packed into {a.max_length}-token sequences')
        if strategy:
            log(f"the same HSFT run with TRL's {strategy!r} packing: full max_length rows with a plain causal mask, "
                "instead of 'bfd' (padding-free: the batch as one sequence with a block-diagonal mask)")
        train_section('sft', folder, a, gpu, n, data['sft'], dict(packing=True, per_device_batch=a.sft_batch,
                      max_steps=a.warmup + a.sft_steps, **({'packing_strategy': strategy} if strategy else {})), 6, res)

    def dpo(res, precompute: bool):
        if 'dpo' not in data:
            data['dpo'] = rows = dpo_rows((a.warmup + a.dpo_steps) * a.dpo_batch + a.dpo_batch)
            lens = row_tokens(tokenizer(), rows, ('chosen', 'rejected'))
            R['dpo_rows'] = dict(rows=len(rows), tokens_per_pair_mean=round(sum(lens) / len(rows), 1), longest_side=max(lens))
            log(f"{len(rows)} DPO pairs, {R['dpo_rows']['tokens_per_pair_mean']} tokens per pair "
                f"(prompt+chosen + prompt+rejected) on average, longest side {max(lens)}")
        train_section('dpo', folder, a, gpu, n, data['dpo'], dict(per_device_batch=a.dpo_batch, precompute_ref=precompute,
                      max_steps=a.warmup + a.dpo_steps), 6 if precompute else 8, res)

    if n is None: log('no model: nothing else can run')
    else:
        if 'gen' in sections: run('generation', lambda res: generation(folder, a, gpu, n, res))
        if 'vllm' in sections: run('vllm', vllm)
        if 'sft' in sections: run('sft', sft)
        if 'dpo' in sections:
            if a.dpo_ref in ('both', 'precomputed'): run('dpo_precomputed_ref', lambda res: dpo(res, True))
            if a.dpo_ref in ('both', 'live'): run('dpo_live_ref', lambda res: dpo(res, False))
        if 'sft_wrapped' in sections: run('sft_wrapped', lambda res: sft(res, 'wrapped'))  # last: a comparison only
    R['total_s'] = round(run.elapsed(), 1)
    log(table(R))
    log(f"total {R['total_s']} s")
    if a.out: log(f'wrote {run.save()}')
    if not a.work_given: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
