#!/usr/bin/python3
"""Generate Tessera's three tiny test models, deterministically.

    npm run models:generate            # or: /usr/bin/python3 coordinator/models/generate-tiny-models.py
    /usr/bin/python3 coordinator/models/generate-tiny-models.py --check   # regenerate into a temp dir, compare

Writes, in the layout @huggingface/transformers v4 loads (`env.localModelPath` = coordinator/models/):

  coordinator/models/tessera/tiny-gpt2/   2-layer GPT-2, byte-level BPE, KV-cache ONNX, trained so that greedy
                                          decoding of CANARY_PROMPT gives CANARY_COMPLETION then <|endoftext|>
  coordinator/models/tessera/tiny-bert/   2-layer BERT encoder, WordPiece, random weights (fixed seed),
                                          for `feature-extraction` with mean pooling
  coordinator/models/tessera/tiny-chat/   tiny-gpt2's architecture with a ChatML template that renders tools
                                          (tiny_chat.py), trained on its canaries (tool calls, JSON)
  coordinator/models/tessera/<model>/manifest.json   (relative path, sha256, bytes of every other file)
  shared/src/tiny-model-files.generated.ts           (the same, for the model catalog)

Needs Debian's PyTorch and ONNX (`apt-get install -y python3-torch python3-onnx`); nothing is downloaded.
Same machine + same torch build => byte-identical output (checked with --check).
"""

import os

# Pin every source of run-to-run variation *before* torch is imported: one thread everywhere, and ATen's
# portable kernels instead of the CPU-specific (AVX2/AVX-512) ones, so other machines are more likely to
# reproduce the same bytes. Training is tiny, so speed does not matter.
for _name, _value in (
    ("OMP_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("ATEN_CPU_CAPABILITY", "default"),
    ("PYTHONHASHSEED", "0"),
):
    os.environ[_name] = _value

import argparse
import hashlib
import json
import math
import random
import re
import shutil
import string
import sys
import tempfile
import warnings
from pathlib import Path

DEBIAN_PYTHON = "/usr/bin/python3"

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import onnx
except ImportError as error:  # pragma: no cover - environment check
    # `npm run models:generate` calls whichever `python3` is first on PATH (pyenv, a virtualenv...); the apt
    # packages live in Debian's interpreter, so hand over to it once.
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and os.access(DEBIAN_PYTHON, os.X_OK) \
            and not os.environ.get("TESSERA_MODELS_REEXEC"):
        os.environ["TESSERA_MODELS_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
    sys.stderr.write(
        f"generate-tiny-models: {error}.\n"
        "This script needs Debian's PyTorch and ONNX packages:\n"
        "    apt-get install -y python3-torch python3-onnx\n"
        "and must run with Debian's interpreter: /usr/bin/python3 coordinator/models/generate-tiny-models.py\n"
    )
    sys.exit(2)

# tiny-chat's template and canaries live beside this script (on sys.path as the script's folder); no .pyc next to
# the committed sources.
sys.dont_write_bytecode = True
import tiny_chat  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_ROOT = REPO_ROOT / "coordinator" / "models"
TS_OUTPUT = REPO_ROOT / "shared" / "src" / "tiny-model-files.generated.ts"

GPT2_ID = "tessera/tiny-gpt2"
BERT_ID = "tessera/tiny-bert"
CHAT_ID = "tessera/tiny-chat"

# ---------------------------------------------------------------------------------------------------------
# The canary: an exact oracle. Greedy decoding of the prompt (no chat template, no BOS) must give exactly the
# completion followed by <|endoftext|> on every backend (onnxruntime-node, browser WASM, browser WebGPU).
CANARY_PROMPT = "Tessera"
CANARY_COMPLETION = " is a volunteer network for AI inference in web browsers."
# Generation budget advertised to callers: completion tokens + EOS + a little slack.
CANARY_SLACK_TOKENS = 4
# The trained model must beat the runner-up logit by at least this much at every greedy step.
MIN_GREEDY_MARGIN = 8.0

GPT2_CONFIG = dict(n_layer=2, n_head=4, n_embd=64, n_positions=128)
BERT_CONFIG = dict(num_hidden_layers=2, num_attention_heads=4, hidden_size=32, intermediate_size=128,
                   max_position_embeddings=128, type_vocab_size=2)
CONTEXT_LENGTH = 128
ONNX_OPSET = 14
GPT2_SEED = 20261101
BERT_SEED = 20261102
TRAIN_STEPS = 1500
MASK_FILL = -10000.0  # finite on purpose: a fully masked (padding) row must not turn into NaN

EOS_TOKEN = "<|endoftext|>"


def set_determinism(seed):
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


# =========================================================================================================
# Byte-level BPE tokenizer (the GPT-2 scheme), written by hand in the HF `tokenizers` JSON format.
# =========================================================================================================

def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table (same as tokenizers' ByteLevel)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()

# The ByteLevel pre-tokenizer regex, restricted to ASCII (\p{L} -> [A-Za-z], \p{N} -> [0-9]); only ever applied
# here to the ASCII training corpus, and the test checks that transformers.js tokenizes it the same way.
ASCII_GPT2_PATTERN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def byte_level_pretokenize(text):
    if not text.isascii():
        raise ValueError(f"training text must be ASCII: {text!r}")
    return ["".join(BYTE_ENCODER[b] for b in piece.encode("utf-8")) for piece in ASCII_GPT2_PATTERN.findall(text)]


def learn_bpe_merges(corpus):
    """Plain BPE training: merge the most frequent adjacent pair (ties: smallest pair) until words are whole."""
    words = {}
    for text in corpus:
        for word in byte_level_pretokenize(text):
            words[word] = words.get(word, 0) + 1
    splits = {word: list(word) for word in words}
    merges = []
    while True:
        counts = {}
        for word, freq in words.items():
            symbols = splits[word]
            for pair in zip(symbols, symbols[1:]):
                counts[pair] = counts.get(pair, 0) + freq
        if not counts:
            return merges
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        for word in words:
            symbols = splits[word]
            merged = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            splits[word] = merged


def bpe_word(word, ranks):
    """Apply merges like tokenizers.js does: repeatedly the lowest-ranked adjacent pair, leftmost first."""
    symbols = list(word)
    while len(symbols) > 1:
        candidates = [(ranks[pair], i) for i, pair in enumerate(zip(symbols, symbols[1:])) if pair in ranks]
        if not candidates:
            break
        _, i = min(candidates)
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


def split_special(text, special_tokens):
    """Text around the special tokens, and the special tokens themselves (as tokenizers splits added tokens first)."""
    if not special_tokens:
        return [text] if text else []
    pattern = "(" + "|".join(re.escape(token) for token in special_tokens) + ")"
    return [piece for piece in re.split(pattern, text) if piece]


class ByteLevelBpe:
    def __init__(self, merges, special_tokens=(EOS_TOKEN,), special_normalized=True):
        self.merges = merges
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        # ids 0..255: the 256 bytes (id == byte value); 256..: the special tokens (<|endoftext|> first, so 256 is
        # end of text); then merged tokens in merge order.
        self.vocab = {BYTE_ENCODER[b]: b for b in range(256)}
        self.special_tokens = list(special_tokens)
        self.special_normalized = special_normalized
        for token in self.special_tokens:
            self.vocab[token] = len(self.vocab)
        self.eos_id = self.vocab[EOS_TOKEN]
        for a, b in merges:
            if a + b not in self.vocab:
                self.vocab[a + b] = len(self.vocab)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.special_ids = {self.vocab[token] for token in self.special_tokens}

    def encode(self, text):
        ids = []
        for piece in split_special(text, self.special_tokens):
            if piece in self.special_tokens:
                ids.append(self.vocab[piece])
            else:
                ids += [self.vocab[token] for word in byte_level_pretokenize(piece) for token in bpe_word(word, self.ranks)]
        return ids

    def decode(self, ids):
        byte_decoder = {c: b for b, c in BYTE_ENCODER.items()}
        text = "".join(self.id_to_token[i] for i in ids if i not in self.special_ids)
        return bytes(byte_decoder[c] for c in text).decode("utf-8")

    def tokenizer_json(self):
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.vocab[token], "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": self.special_normalized, "special": True}
                for token in self.special_tokens
            ],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": dict(sorted(self.vocab.items(), key=lambda item: item[1])),
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }


# =========================================================================================================
# Tiny GPT-2 (same architecture as HF's GPT2LMHeadModel: pre-LN blocks, gelu_new, tied LM head)
# =========================================================================================================

class Gpt2Attention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.head_dim = n_embd // n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def split_heads(self, x):  # [B, T, C] -> [B, H, T, D]
        return x.view(x.shape[0], x.shape[1], self.n_head, self.head_dim).transpose(1, 2)

    def forward(self, x, past_key, past_value, allowed):
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        key = torch.cat([past_key, k], dim=2)
        value = torch.cat([past_value, v], dim=2)
        scores = torch.matmul(q, key.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = torch.where(allowed, scores, torch.tensor(MASK_FILL, dtype=scores.dtype))
        out = torch.matmul(torch.softmax(scores, dim=-1), value)  # [B, H, T, D]
        out = out.transpose(1, 2).reshape(x.shape[0], x.shape[1], x.shape[2])
        return self.c_proj(out), key, value


class Gpt2Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=1e-5)
        self.attn = Gpt2Attention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd, eps=1e-5)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x, past_key, past_value, allowed):
        attn, key, value = self.attn(self.ln_1(x), past_key, past_value, allowed)
        x = x + attn
        x = x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x, key, value


class TinyGpt2(nn.Module):
    """forward(input_ids, attention_mask, position_ids, past.0.key, past.0.value, ...) ->
    (logits, present.0.key, present.0.value, ...); KV tensors are [batch, heads, seq, head_dim]."""

    def __init__(self, vocab_size, n_layer, n_head, n_embd, n_positions):
        super().__init__()
        self.n_layer, self.n_head, self.head_dim = n_layer, n_head, n_embd // n_head
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(n_positions, n_embd)
        self.h = nn.ModuleList([Gpt2Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln" in name:
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, mean=0.0, std=0.02)

    def empty_past(self, batch):
        return [torch.zeros(batch, self.n_head, 0, self.head_dim) for _ in range(2 * self.n_layer)]

    def forward(self, input_ids, attention_mask, position_ids, *past):
        seq_len = input_ids.shape[1]
        total_len = past[0].shape[2] + seq_len
        # Key j is visible to query i (absolute index total_len - seq_len + i) if j <= that index and the
        # attention mask marks j as a real token. [B, 1, T, total]
        key_index = torch.arange(total_len)
        query_index = torch.arange(seq_len) + (total_len - seq_len)
        causal = key_index.unsqueeze(0) <= query_index.unsqueeze(1)
        allowed = causal.unsqueeze(0).unsqueeze(0) & attention_mask.bool().unsqueeze(1).unsqueeze(2)
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for i, block in enumerate(self.h):
            x, key, value = block(x, past[2 * i], past[2 * i + 1], allowed)
            presents += [key, value]
        logits = torch.matmul(self.ln_f(x), self.wte.weight.t())
        return (logits, *presents)


def greedy_generate(model, prompt_ids, eos_id, max_new_tokens):
    """Greedy decoding exactly as transformers.js runs it: prefill with an empty cache, then one token a step."""
    ids = list(prompt_ids)
    past = model.empty_past(1)
    step_input = ids
    margins = []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            total = len(ids)
            input_ids = torch.tensor([step_input])
            mask = torch.ones(1, total, dtype=torch.long)
            positions = torch.arange(total - len(step_input), total).unsqueeze(0)
            logits, *past = model(input_ids, mask, positions, *past)
            top2 = torch.topk(logits[0, -1], 2)
            margins.append(float(top2.values[0] - top2.values[1]))
            next_id = int(top2.indices[0])
            ids.append(next_id)
            step_input = [next_id]
            if next_id == eos_id:
                break
    return ids[len(prompt_ids):], margins


def gpt2_config(vocab_size, sizes, bos_id, eos_id):
    """config.json of a TinyGpt2, in the keys and layout of HF's GPT2Config."""
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": vocab_size,
        "n_positions": sizes["n_positions"],
        "n_ctx": sizes["n_positions"],
        "n_embd": sizes["n_embd"],
        "n_layer": sizes["n_layer"],
        "n_head": sizes["n_head"],
        "n_inner": None,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "torch_dtype": "float32",
        "transformers.js_config": {"dtype": "fp32"},
    }


def export_gpt2_onnx(model):
    """The KV-cache signature transformers.js expects of a GPT-2 decoder (tiny-gpt2 and tiny-chat alike)."""
    # Export with a non-empty past so that concatenation and masking are traced generally.
    n_layer, n_head, head_dim = model.n_layer, model.n_head, model.head_dim
    batch, seq, past_len = 2, 3, 4
    example = (
        torch.tensor([[1, 2, 3], [4, 5, 6]]),
        torch.ones(batch, past_len + seq, dtype=torch.long),
        torch.tensor([[4, 5, 6], [4, 5, 6]]),
        *[torch.zeros(batch, n_head, past_len, head_dim) for _ in range(2 * n_layer)],
    )
    past_names = [f"past_key_values.{i}.{kind}" for i in range(n_layer) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(n_layer) for kind in ("key", "value")]
    dynamic_axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
        **{name: {0: "batch_size", 2: "past_sequence_length"} for name in past_names},
        **{name: {0: "batch_size", 2: "total_sequence_length"} for name in present_names},
    }
    return export_onnx(
        model, example,
        input_names=["input_ids", "attention_mask", "position_ids", *past_names],
        output_names=["logits", *present_names],
        dynamic_axes=dynamic_axes,
    )


def build_gpt2():
    set_determinism(GPT2_SEED)
    merges = learn_bpe_merges([CANARY_PROMPT + CANARY_COMPLETION])
    tokenizer = ByteLevelBpe(merges)
    prompt_ids = tokenizer.encode(CANARY_PROMPT)
    completion_ids = tokenizer.encode(CANARY_COMPLETION)
    if tokenizer.encode(CANARY_PROMPT + CANARY_COMPLETION) != prompt_ids + completion_ids:
        raise RuntimeError("prompt and completion must tokenize independently")
    if tokenizer.decode(completion_ids) != CANARY_COMPLETION:
        raise RuntimeError("tokenizer round trip failed")
    sequence = prompt_ids + completion_ids + [tokenizer.eos_id]

    vocab_size = len(tokenizer.vocab)
    model = TinyGpt2(vocab_size, **GPT2_CONFIG)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    inputs = torch.tensor([sequence[:-1]])
    targets = torch.tensor(sequence[1:])
    mask = torch.ones_like(inputs)
    positions = torch.arange(inputs.shape[1]).unsqueeze(0)
    # Only the completion (and EOS) is learnt; predicting the prompt itself is not needed.
    first_target = len(prompt_ids) - 1
    model.train()
    for step in range(TRAIN_STEPS):
        logits = model(inputs, mask, positions, *model.empty_past(1))[0][0]
        loss = F.cross_entropy(logits[first_target:], targets[first_target:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()

    generated, margins = greedy_generate(model, prompt_ids, tokenizer.eos_id, len(completion_ids) + 8)
    if generated != completion_ids + [tokenizer.eos_id]:
        raise RuntimeError(f"training did not memorise the canary: got {tokenizer.decode(generated)!r}")
    if min(margins) < MIN_GREEDY_MARGIN:
        raise RuntimeError(f"greedy margins too small: {min(margins):.2f} < {MIN_GREEDY_MARGIN}")
    print(f"tiny-gpt2: vocab {vocab_size}, {len(merges)} merges, final loss {float(loss):.2e}, "
          f"min greedy margin {min(margins):.2f}", file=sys.stderr)

    config = gpt2_config(vocab_size, GPT2_CONFIG, bos_id=tokenizer.eos_id, eos_id=tokenizer.eos_id)
    generation_config = {
        "bos_token_id": tokenizer.eos_id,
        "eos_token_id": tokenizer.eos_id,
        "pad_token_id": tokenizer.eos_id,
    }
    tokenizer_config = {
        "tokenizer_class": "GPT2Tokenizer",
        "add_bos_token": False,
        "add_prefix_space": False,
        "bos_token": EOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "pad_token": EOS_TOKEN,
        "model_max_length": CONTEXT_LENGTH,
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {
            str(tokenizer.eos_id): {"content": EOS_TOKEN, "lstrip": False, "normalized": True, "rstrip": False,
                                    "single_word": False, "special": True},
        },
    }

    onnx_bytes = export_gpt2_onnx(model)
    files = {
        "config.json": json_bytes(config),
        "generation_config.json": json_bytes(generation_config),
        "tokenizer.json": json_bytes(tokenizer.tokenizer_json()),
        "tokenizer_config.json": json_bytes(tokenizer_config),
        "onnx/model.onnx": onnx_bytes,
    }
    canary = {
        "prompt": CANARY_PROMPT,
        "maxTokens": len(completion_ids) + 1 + CANARY_SLACK_TOKENS,
        "expectedCompletion": CANARY_COMPLETION,
    }
    extra = {
        "canaryTokenIds": {"prompt": prompt_ids, "completion": completion_ids, "eos": tokenizer.eos_id},
        "minGreedyLogitMargin": round(min(margins), 3),
    }
    return files, canary, extra


# =========================================================================================================
# Tiny BERT encoder (HF BertModel architecture, post-LN, exact GELU) and a hand-written WordPiece vocabulary
# =========================================================================================================

COMMON_WORDS = """
the of and to a in is it you that he was for on are with as i his they be at one have this from or had by
not word but what some we can out other were all there when up use your how said an each she which do their
time if will way about many then them write would like so these her long make thing see him two has look more
day could go come did number sound no most people my over know water than call first who may down side been
now find any new work part take get place made live where after back little only round man year came show
every good me give our under name very through just form sentence great think say help low line differ turn
cause much mean before move right boy old too same tell does set three want air well also play small end put
home read hand port large spell add even land here must big high such follow act why ask men change went
light kind off need house picture try us again animal point mother world near build self earth father head
stand own page should country found answer school grow study still learn plant cover food sun four between
state keep eye never last let thought city tree cross farm hard start might story saw far sea draw left late
run while press close night real life few north open seem together next white children begin got walk example
ease paper group always music those both mark often letter until mile river car feet care second book carry
took science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood
main enough plain girl usual young ready above ever red list though feel talk bird soon body dog family direct
pose leave song measure door product black short numeral class wind question happen complete ship area half
rock order fire south problem piece told knew pass since top whole king space heard best hour better true
during hundred five remember step early hold west ground interest reach fast verb sing listen six table travel
less morning ten simple several vowel toward war lay against pattern slow center love person money serve
appear road map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark
machine note wait plan figure star box noun field rest correct able pound done beauty drive stood contain front
teach week final gave green oh quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue object decide surface deep moon
island foot system busy test record boat common gold possible plane age dry wonder laugh thousand ago ran check
game shape equate hot miss brought heat snow tire bring yes distant fill east paint language among
hello hi thanks please today tomorrow yesterday weather cat dogs cats happy sad quickly fox jumps lazy brown
computer data model models network networks browser browsers web internet server client volunteer volunteers
inference compute gpu cpu memory token tokens text embedding embeddings vector vectors sentence sentences
tessera task tasks worker workers guard guards reward rewards ledger chain block test tests query search
document documents language translation image speech audio video code software open source file files
""".split()

SUFFIXES = """s es ed ing er ers est ly tion tions ment ments ness able ible al ity ize ise ful less ous ive ic
ish ism ist ant ent ance ence ure age ship hood dom y ie ies""".split()


def wordpiece_vocab():
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += list(string.punctuation)
    tokens += list(string.digits) + list(string.ascii_lowercase)
    tokens += ["##" + c for c in string.digits + string.ascii_lowercase]
    tokens += ["##" + s for s in SUFFIXES]
    tokens += COMMON_WORDS
    vocab = {}
    for token in tokens:
        vocab.setdefault(token, len(vocab))
    return vocab


def bert_tokenizer_json(vocab):
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in special
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [vocab["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [vocab["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": vocab,
        },
    }


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split_heads(self, x):
        return x.view(x.shape[0], x.shape[1], self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, mask_bias):
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_bias
        context = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(x.shape)
        x = self.attention_norm(x + self.attention_output(context))
        return self.output_norm(x + self.output(F.gelu(self.intermediate(x))))


class TinyBert(nn.Module):
    def __init__(self, vocab_size, num_hidden_layers, num_attention_heads, hidden_size, intermediate_size,
                 max_position_embeddings, type_vocab_size):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden_size)
        self.position_embeddings = nn.Embedding(max_position_embeddings, hidden_size)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, hidden_size)
        self.embedding_norm = nn.LayerNorm(hidden_size, eps=1e-12)
        self.layers = nn.ModuleList(
            [BertLayer(hidden_size, num_attention_heads, intermediate_size) for _ in range(num_hidden_layers)])
        # Random weights scaled so that every layer visibly changes its input (std 0.02 as in real BERT
        # would leave the encoder close to a bag of word embeddings).
        for name, p in self.named_parameters():
            if "norm" in name:
                nn.init.normal_(p, mean=1.0 if name.endswith("weight") else 0.0, std=0.05)
            elif name.endswith("bias"):
                nn.init.normal_(p, std=0.02)
            elif "embeddings" in name:
                nn.init.normal_(p, std=0.5 if "word" not in name else 1.0)
            else:
                nn.init.normal_(p, std=p.shape[1] ** -0.5)

    def forward(self, input_ids, attention_mask, token_type_ids):
        position_ids = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids) \
            + self.token_type_embeddings(token_type_ids)
        x = self.embedding_norm(x)
        mask_bias = (1.0 - attention_mask.unsqueeze(1).unsqueeze(2).to(x.dtype)) * MASK_FILL
        for layer in self.layers:
            x = layer(x, mask_bias)
        return x


def build_bert():
    set_determinism(BERT_SEED)
    vocab = wordpiece_vocab()
    model = TinyBert(len(vocab), **BERT_CONFIG).eval()
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": len(vocab),
        "hidden_size": BERT_CONFIG["hidden_size"],
        "num_hidden_layers": BERT_CONFIG["num_hidden_layers"],
        "num_attention_heads": BERT_CONFIG["num_attention_heads"],
        "intermediate_size": BERT_CONFIG["intermediate_size"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": BERT_CONFIG["max_position_embeddings"],
        "type_vocab_size": BERT_CONFIG["type_vocab_size"],
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": vocab["[PAD]"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "transformers.js_config": {"dtype": "fp32"},
    }
    tokenizer_config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "tokenize_chinese_chars": True,
        "strip_accents": None,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "model_max_length": CONTEXT_LENGTH,
        "clean_up_tokenization_spaces": True,
    }
    example = (
        torch.tensor([[2, 60, 61, 62, 3], [2, 63, 3, 0, 0]]),
        torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]),
        torch.zeros(2, 5, dtype=torch.long),
    )
    dynamic_axes = {
        name: {0: "batch_size", 1: "sequence_length"}
        for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
    }
    onnx_bytes = export_onnx(
        model, example,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes=dynamic_axes,
    )
    print(f"tiny-bert: vocab {len(vocab)}, hidden {BERT_CONFIG['hidden_size']}", file=sys.stderr)
    files = {
        "config.json": json_bytes(config),
        "tokenizer.json": json_bytes(bert_tokenizer_json(vocab)),
        "tokenizer_config.json": json_bytes(tokenizer_config),
        "onnx/model.onnx": onnx_bytes,
    }
    return files


# =========================================================================================================
# Tiny chat model: tiny-gpt2's architecture with a ChatML template that renders tools (tiny_chat.py), trained so
# that greedy decoding answers each of its canaries exactly (a tool call, a reply to a tool result, JSON)
# =========================================================================================================

CHAT_CONFIG = dict(n_layer=2, n_head=4, n_embd=64, n_positions=256)
CHAT_SEED = 20261103
CHAT_TRAIN_STEPS = 150
CHAT_LEARNING_RATE = 6e-3
# Cross-entropy alone grows the greedy margins only logarithmically (~1500 steps of 130-token sequences to pass
# MIN_GREEDY_MARGIN, ten minutes on ATen's portable kernels); a hinge on the margin itself reaches this in 150.
CHAT_TARGET_MARGIN = 12.0
# Positions the longest training sequence (prompt + answer + EOS) must leave free: room for callers' variations.
CHAT_MIN_SPARE_POSITIONS = 64
IGNORE_TARGET = -100


def build_chat():
    set_determinism(CHAT_SEED)
    cases = tiny_chat.training_cases()
    specials = tiny_chat.SPECIAL_TOKENS
    corpus = [piece for case in cases for piece in split_special(case["prompt"] + case["answer"], specials)
              if piece not in specials]
    tokenizer = ByteLevelBpe(learn_bpe_merges(corpus), special_tokens=specials, special_normalized=False)
    im_end = tokenizer.vocab[tiny_chat.IM_END]
    for case in cases:
        case["prompt_ids"] = tokenizer.encode(case["prompt"])
        case["answer_ids"] = tokenizer.encode(case["answer"])
        # The answer is learnt as generation produces it: after the prompt, then <|im_end|>. The ids must also be
        # those of the whole text, as the template renders the same answer in history.
        whole = tokenizer.encode(case["prompt"] + case["answer"] + tiny_chat.IM_END)
        if whole != case["prompt_ids"] + case["answer_ids"] + [im_end]:
            raise RuntimeError(f"{case['name']}: prompt and answer must tokenize independently")
        if tokenizer.decode(case["answer_ids"]) != case["answer"]:
            raise RuntimeError(f"{case['name']}: tokenizer round trip failed")
    sequences = [case["prompt_ids"] + case["answer_ids"] + [im_end] for case in cases]
    longest = max(len(sequence) for sequence in sequences)
    if longest + CHAT_MIN_SPARE_POSITIONS > CHAT_CONFIG["n_positions"]:
        raise RuntimeError(f"context too short: {longest} tokens + {CHAT_MIN_SPARE_POSITIONS} spare "
                           f"> {CHAT_CONFIG['n_positions']} positions")

    # One batch of every case, right-padded; only the answers and their EOS are learnt.
    vocab_size = len(tokenizer.vocab)
    model = TinyGpt2(vocab_size, **CHAT_CONFIG)
    width = longest - 1
    inputs = torch.full((len(cases), width), tokenizer.eos_id, dtype=torch.long)
    targets = torch.full((len(cases), width), IGNORE_TARGET, dtype=torch.long)
    mask = torch.zeros(len(cases), width, dtype=torch.long)
    for row, (case, sequence) in enumerate(zip(cases, sequences)):
        length = len(sequence) - 1
        inputs[row, :length] = torch.tensor(sequence[:-1])
        mask[row, :length] = 1
        first = len(case["prompt_ids"]) - 1
        targets[row, first:length] = torch.tensor(sequence[first + 1:])
    positions = torch.arange(width).unsqueeze(0).expand(len(cases), width)
    learnt = targets != IGNORE_TARGET
    target_ids = targets.clamp(min=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=CHAT_LEARNING_RATE)
    model.train()
    for step in range(CHAT_TRAIN_STEPS):
        logits = model(inputs, mask, positions, *model.empty_past(len(cases)))[0]
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), targets.reshape(-1), ignore_index=IGNORE_TARGET)
        target_logits = logits.gather(-1, target_ids.unsqueeze(-1)).squeeze(-1)
        runner_up = logits.masked_fill(F.one_hot(target_ids, vocab_size).bool(), MASK_FILL).max(-1).values
        loss = loss + F.relu(CHAT_TARGET_MARGIN - (target_logits - runner_up))[learnt].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()

    all_margins = []
    for case in cases:
        generated, margins = greedy_generate(model, case["prompt_ids"], im_end, len(case["answer_ids"]) + 8)
        label = case["name"] + (" (with system prompt)" if case["system"] else "")
        if generated != case["answer_ids"] + [im_end]:
            raise RuntimeError(f"{label}: training did not memorise the answer: got {tokenizer.decode(generated)!r}")
        if min(margins) < MIN_GREEDY_MARGIN:
            raise RuntimeError(f"{label}: greedy margins too small: {min(margins):.2f} < {MIN_GREEDY_MARGIN}")
        case["margin"] = min(margins)
        all_margins += margins
    print(f"tiny-chat: vocab {vocab_size}, {len(tokenizer.merges)} merges, longest sequence {longest} tokens, "
          f"final loss {float(loss):.2e}, min greedy margin {min(all_margins):.2f}", file=sys.stderr)

    config = gpt2_config(vocab_size, CHAT_CONFIG, bos_id=tokenizer.eos_id, eos_id=im_end)
    generation_config = {"bos_token_id": tokenizer.eos_id, "eos_token_id": im_end, "pad_token_id": tokenizer.eos_id}
    tokenizer_config = {
        "tokenizer_class": "GPT2Tokenizer",
        "add_bos_token": False,
        "add_prefix_space": False,
        "bos_token": None,
        "eos_token": tiny_chat.IM_END,
        "unk_token": None,
        "pad_token": tiny_chat.ENDOFTEXT,
        "additional_special_tokens": [tiny_chat.IM_START, tiny_chat.IM_END],
        "model_max_length": CHAT_CONFIG["n_positions"],
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {
            str(tokenizer.vocab[token]): {"content": token, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True}
            for token in specials
        },
        "chat_template": tiny_chat.CHAT_TEMPLATE,
    }
    files = {
        "config.json": json_bytes(config),
        "generation_config.json": json_bytes(generation_config),
        "tokenizer.json": json_bytes(tokenizer.tokenizer_json()),
        "tokenizer_config.json": json_bytes(tokenizer_config),
        "onnx/model.onnx": export_gpt2_onnx(model),
    }
    max_tokens = {}
    for case in cases:
        budget = len(case["answer_ids"]) + 1 + CANARY_SLACK_TOKENS
        max_tokens[case["name"]] = max(max_tokens.get(case["name"], 0), budget)
    headline = next(c for c in tiny_chat.CANARIES if c["name"] == tiny_chat.HEADLINE_CANARY)
    canary = {
        "prompt": headline["messages"][-1]["content"],
        "maxTokens": max_tokens[headline["name"]],
        "expectedCompletion": headline["answer"],
    }
    extra = {
        # The token ids training used, per canary and variant: the test renders the same prompts with
        # transformers.js's apply_chat_template and expects exactly these.
        "chatCanaryTokenIds": [
            {"name": case["name"], "systemPrompt": case["system"], "prompt": case["prompt_ids"],
             "completion": case["answer_ids"], "minGreedyLogitMargin": round(case["margin"], 3)}
            for case in cases
        ],
        "eos": im_end,
        "longestSequenceTokens": longest,
        "minGreedyLogitMargin": round(min(all_margins), 3),
    }
    return files, canary, extra, tiny_chat.ts_canaries(max_tokens, ts_string)


# =========================================================================================================
# Output helpers
# =========================================================================================================

def json_bytes(value):
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def export_onnx(model, example, input_names, output_names, dynamic_axes):
    """torch.onnx.export, then strip everything that is not the computation (doc strings carry source paths)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, example, str(path),
                input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
                opset_version=ONNX_OPSET, do_constant_folding=True, export_params=True, verbose=False,
            )
        proto = onnx.load(str(path))
    proto.doc_string = ""
    proto.graph.doc_string = ""
    for node in proto.graph.node:
        node.doc_string = ""
    for value in list(proto.graph.input) + list(proto.graph.output) + list(proto.graph.value_info):
        value.doc_string = ""
    for tensor in proto.graph.initializer:
        tensor.doc_string = ""
    del proto.metadata_props[:]
    onnx.checker.check_model(proto)
    got_inputs = [i.name for i in proto.graph.input]
    got_outputs = [o.name for o in proto.graph.output]
    if got_inputs != input_names or got_outputs != output_names:
        raise RuntimeError(f"unexpected ONNX signature: {got_inputs} -> {got_outputs}")
    return proto.SerializeToString()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def file_entries(files):
    return [{"path": path, "sha256": sha256(data), "bytes": len(data)} for path, data in sorted(files.items())]


def ts_string(value):
    out = []
    for ch in value:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\u{{{ord(ch):x}}}")
    return "'" + "".join(out) + "'"


def ts_manifest(model_id, entries, context_length, embedding_dimensions, canary):
    lines = [f"  {ts_string(model_id)}: {{", "    files: ["]
    for e in entries:
        lines.append(f"      {{ path: {ts_string(e['path'])}, sha256: {ts_string(e['sha256'])}, bytes: {e['bytes']} }},")
    lines.append("    ],")
    lines.append(f"    contextLength: {context_length},")
    lines.append(f"    embeddingDimensions: {'null' if embedding_dimensions is None else embedding_dimensions},")
    if canary is None:
        lines.append("    canary: null,")
    else:
        lines.append("    canary: {")
        lines.append(f"      prompt: {ts_string(canary['prompt'])},")
        lines.append(f"      maxTokens: {canary['maxTokens']},")
        lines.append(f"      expectedCompletion: {ts_string(canary['expectedCompletion'])},")
        lines.append("    },")
    lines.append("  },")
    return lines


def render_ts(models):
    lines = [
        "// Generated by coordinator/models/generate-tiny-models.py (`npm run models:generate`). Do not edit by hand.",
        "import type { ModelFile } from './model-catalog.ts';",
        "",
        "interface TinyModelManifest {",
        "  files: ModelFile[];",
        "  contextLength: number;",
        "  embeddingDimensions: number | null;",
        "  canary: { prompt: string; maxTokens: number; expectedCompletion: string } | null;",
        "}",
        "",
        "export const TINY_MODEL_FILES: Record<" + " | ".join(ts_string(model["id"]) for model in models)
        + ", TinyModelManifest> = {",
    ]
    for model in models:
        lines += ts_manifest(model["id"], model["files"], model["contextLength"], model["embeddingDimensions"],
                             model["canary"])
    lines.append("};")
    for model in models:
        lines += model["ts"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def generate(models_root, ts_path):
    gpt2_files, canary, gpt2_extra = build_gpt2()
    bert_files = build_bert()
    chat_files, chat_canary, chat_extra, chat_ts = build_chat()
    models = [
        {"id": GPT2_ID, "files": gpt2_files, "contextLength": CONTEXT_LENGTH, "embeddingDimensions": None,
         "canary": canary, "extra": gpt2_extra, "ts": []},
        {"id": BERT_ID, "files": bert_files, "contextLength": CONTEXT_LENGTH,
         "embeddingDimensions": BERT_CONFIG["hidden_size"], "canary": None, "extra": {}, "ts": []},
        {"id": CHAT_ID, "files": chat_files, "contextLength": CHAT_CONFIG["n_positions"], "embeddingDimensions": None,
         "canary": chat_canary, "extra": chat_extra, "ts": chat_ts},
    ]
    summary = []
    for model in models:
        directory = models_root / model["id"]
        if directory.exists():
            shutil.rmtree(directory)
        for path, data in model["files"].items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        entries = file_entries(model["files"])
        manifest = {
            "id": model["id"],
            "generatedBy": "coordinator/models/generate-tiny-models.py",
            "files": entries,
            "contextLength": model["contextLength"],
            "embeddingDimensions": model["embeddingDimensions"],
            "canary": model["canary"],
            **model["extra"],
        }
        (directory / "manifest.json").write_bytes(json_bytes(manifest))
        summary.append({**model, "files": entries})
    ts_path.parent.mkdir(parents=True, exist_ok=True)
    ts_path.write_bytes(render_ts(summary))
    return summary


def tree_digest(root):
    return {str(p.relative_to(root)): sha256(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary directory and fail if anything differs from the repo")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_root = Path(tmp)
            generate(tmp_root / "models", tmp_root / "tiny-model-files.generated.ts")
            fresh = tree_digest(tmp_root / "models" / "tessera")
            committed = tree_digest(MODELS_ROOT / "tessera")
            same_ts = (tmp_root / "tiny-model-files.generated.ts").read_bytes() == TS_OUTPUT.read_bytes()
        differing = sorted(k for k in set(fresh) | set(committed) if fresh.get(k) != committed.get(k))
        if differing or not same_ts:
            print("generated files differ from the repository: " + ", ".join(
                differing + ([] if same_ts else [str(TS_OUTPUT.relative_to(REPO_ROOT))])), file=sys.stderr)
            return 1
        print("generated files are identical to the repository", file=sys.stderr)
        return 0
    summary = generate(MODELS_ROOT, TS_OUTPUT)
    for model in summary:
        total = sum(e["bytes"] for e in model["files"])
        print(f"{model['id']}: {total} bytes in {len(model['files'])} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
