"""Small tokenizers of each family's own kind, learned by a deterministic BPE
on a fixed English text, in the tokenizer.json layout of the real ones:
- byte-level BPE (GPT-2, GPT-NeoX/Pythia, Llama 3, Qwen 2.5): 256 byte symbols
  in GPT-2's bytes_to_unicode order, merges, the family's special tokens and
  pre-tokenizer;
- Gemma's: BPE over characters with ▁ for spaces, byte_fallback <0xNN> tokens,
  <pad>/<eos>/<bos>/<unk> first (as google/gemma-2-2b's tokenizer.json)."""

import re
from collections import Counter

TRAINING_TEXT = (
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her "
    "friends. One day, she saw a big red ball under a tree. \"Can I play with the ball?\" she asked her mom. "
    "Her mom smiled and said, \"Yes, you can play, but be careful!\" Lily was very happy. She ran to the ball "
    "and kicked it high into the sky. The ball flew over the tree and into the pond. Lily was sad. Then a "
    "friendly dog came and jumped into the water. The dog got the ball and brought it back to Lily. She "
    "hugged the dog and said, \"Thank you, dog! You are my best friend.\" They played together all day "
    "until the sun went down. Tom and Ben were brothers. They liked to build things with blocks. "
    "It's 3 o'clock, and we're going home; they'll be there at 12:45 or 1999.\n\nThe end.\n"
)

LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Python's re has no \p{L}: a close-enough split for learning merges (any split gives valid merges).
TRAINING_SPLIT = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+")


def bytes_to_unicode():
    """GPT-2's map from each byte to a printable character (the order of the first 256 ids)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


def learn_merges(words, count):
    """Deterministic BPE: repeatedly merge the most frequent adjacent pair (ties: smallest pair)."""
    freq = Counter(words)
    splits = {w: list(w) for w in freq}
    merges = []
    for _ in range(count):
        pairs = Counter()
        for w, f in freq.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += f
        if not pairs:
            break
        best = min(pairs.items(), key=lambda item: (-item[1], item[0]))[0]
        merges.append(best)
        for w, s in splits.items():
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return merges


def byte_level_base(merge_count):
    """The 256 byte symbols (GPT-2 order) and merges learned on the training text."""
    table = dict(bytes_to_unicode())
    words = ["".join(table[b] for b in piece.encode("utf-8")) for piece in TRAINING_SPLIT.findall(TRAINING_TEXT)]
    symbols = [c for _, c in bytes_to_unicode()]
    return symbols, learn_merges(words, merge_count)


def added(token_id, content, special=True, normalized=False):
    return {
        "id": token_id,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": normalized,
        "special": special,
    }


def bpe_model(vocab, merges, **extra):
    model = {
        "type": "BPE",
        "dropout": None,
        "unk_token": None,
        "continuing_subword_prefix": None,
        "end_of_word_suffix": None,
        "fuse_unk": False,
        "byte_fallback": False,
    }
    model.update(extra)
    model["vocab"] = vocab
    model["merges"] = [f"{a} {b}" for a, b in merges]
    return model


def byte_level_vocab(first_id, merge_count):
    symbols, merges = byte_level_base(merge_count)
    vocab = {}
    for s in symbols:
        vocab[s] = first_id + len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = first_id + len(vocab)
    return vocab, merges


def tokenizer_json(added_tokens, normalizer, pre_tokenizer, post_processor, decoder, model):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": post_processor,
        "decoder": decoder,
        "model": model,
    }


def gpt2_tokenizer(merge_count):
    """GPT-2: bytes at 0..255, merges, <|endoftext|> last (50256 in the real one)."""
    vocab, merges = byte_level_vocab(0, merge_count)
    eot = len(vocab)
    vocab["<|endoftext|>"] = eot
    tok = tokenizer_json(
        [added(eot, "<|endoftext|>", normalized=True)],
        None,
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        bpe_model(vocab, merges, continuing_subword_prefix="", end_of_word_suffix=""),
    )
    files = {
        "tokenizer.json": tok,
        "tokenizer_config.json": {
            "add_bos_token": False,
            "add_prefix_space": False,
            "added_tokens_decoder": {str(eot): added_decoder("<|endoftext|>", True)},
            "bos_token": "<|endoftext|>",
            "clean_up_tokenization_spaces": True,
            "eos_token": "<|endoftext|>",
            "errors": "replace",
            "model_max_length": 1024,
            "pad_token": None,
            "tokenizer_class": "GPT2Tokenizer",
            "unk_token": "<|endoftext|>",
        },
        "vocab.json": vocab,
    }
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    return files, merges_txt, {"size": len(vocab), "bos": eot, "eos": eot}


def added_decoder(content, special, normalized=False):
    return {
        "content": content,
        "lstrip": False,
        "normalized": normalized,
        "rstrip": False,
        "single_word": False,
        "special": special,
    }


def neox_tokenizer(merge_count):
    """GPT-NeoX-20B (Pythia): <|endoftext|> 0, <|padding|> 1, then bytes and merges; NFC normalizer."""
    vocab, merges = byte_level_vocab(2, merge_count)
    vocab = {"<|endoftext|>": 0, "<|padding|>": 1, **vocab}
    tok = tokenizer_json(
        [added(0, "<|endoftext|>"), added(1, "<|padding|>")],
        {"type": "NFC"},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        bpe_model(vocab, merges, continuing_subword_prefix=None, end_of_word_suffix=None),
    )
    files = {
        "tokenizer.json": tok,
        "tokenizer_config.json": {
            "add_bos_token": False,
            "add_eos_token": False,
            "add_prefix_space": False,
            "bos_token": "<|endoftext|>",
            "clean_up_tokenization_spaces": True,
            "eos_token": "<|endoftext|>",
            "model_max_length": 1000000000000000019884624838656,
            "pad_token": None,
            "tokenizer_class": "GPTNeoXTokenizer",
            "unk_token": "<|endoftext|>",
        },
        "special_tokens_map.json": {
            "bos_token": "<|endoftext|>",
            "eos_token": "<|endoftext|>",
            "unk_token": "<|endoftext|>",
        },
    }
    return files, None, {"size": len(vocab), "bos": 0, "eos": 0}


LLAMA3_SPECIALS = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>",
    "<|reserved_special_token_2|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eom_id|>",
    "<|eot_id|>",
    "<|python_tag|>",
]


def split_then_byte_level(pattern):
    return {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ],
    }


def llama3_tokenizer(merge_count):
    """Llama 3.x: bytes and merges (ignore_merges), then <|begin_of_text|>… (128000… in the real one); BOS added."""
    vocab, merges = byte_level_vocab(0, merge_count)
    first = len(vocab)
    specials = [added(first + i, s) for i, s in enumerate(LLAMA3_SPECIALS)]
    bos = first
    tok = tokenizer_json(
        specials,
        None,
        split_then_byte_level(LLAMA3_PATTERN),
        {
            "type": "Sequence",
            "processors": [
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
                {
                    "type": "TemplateProcessing",
                    "single": [
                        {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}},
                    ],
                    "pair": [
                        {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}},
                        {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                        {"Sequence": {"id": "B", "type_id": 1}},
                    ],
                    "special_tokens": {
                        "<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [bos], "tokens": ["<|begin_of_text|>"]}
                    },
                },
            ],
        },
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        bpe_model(vocab, merges, continuing_subword_prefix=None, end_of_word_suffix=None, ignore_merges=True),
    )
    files = {
        "tokenizer.json": tok,
        "tokenizer_config.json": {
            "added_tokens_decoder": {str(first + i): added_decoder(s, True) for i, s in enumerate(LLAMA3_SPECIALS)},
            "bos_token": "<|begin_of_text|>",
            "clean_up_tokenization_spaces": True,
            "eos_token": "<|end_of_text|>",
            "model_input_names": ["input_ids", "attention_mask"],
            "model_max_length": 131072,
            "tokenizer_class": "PreTrainedTokenizerFast",
        },
        "special_tokens_map.json": {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"},
    }
    return files, None, {"size": first + len(LLAMA3_SPECIALS), "bos": bos, "eos": bos + 1}


QWEN2_SPECIALS = [
    ("<|endoftext|>", True),
    ("<|im_start|>", True),
    ("<|im_end|>", True),
    ("<|object_ref_start|>", True),
    ("<|object_ref_end|>", True),
    ("<|box_start|>", True),
    ("<|box_end|>", True),
    ("<|quad_start|>", True),
    ("<|quad_end|>", True),
    ("<|vision_start|>", True),
    ("<|vision_end|>", True),
    ("<|vision_pad|>", True),
    ("<|image_pad|>", True),
    ("<|video_pad|>", True),
    ("<tool_call>", False),
    ("</tool_call>", False),
    ("<|fim_prefix|>", False),
    ("<|fim_middle|>", False),
    ("<|fim_suffix|>", False),
    ("<|fim_pad|>", False),
    ("<|repo_name|>", False),
    ("<|file_sep|>", False),
]


def qwen2_tokenizer(merge_count):
    """Qwen 2.5: NFC, single-digit split, bytes and merges, then <|endoftext|> (151643 in the real one); no BOS."""
    vocab, merges = byte_level_vocab(0, merge_count)
    first = len(vocab)
    tok = tokenizer_json(
        [added(first + i, s, special) for i, (s, special) in enumerate(QWEN2_SPECIALS)],
        {"type": "NFC"},
        split_then_byte_level(QWEN2_PATTERN),
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        bpe_model(vocab, merges, continuing_subword_prefix="", end_of_word_suffix="", ignore_merges=False),
    )
    files = {
        "tokenizer.json": tok,
        "tokenizer_config.json": {
            "add_bos_token": False,
            "add_prefix_space": False,
            "added_tokens_decoder": {str(first + i): added_decoder(s, sp) for i, (s, sp) in enumerate(QWEN2_SPECIALS)},
            "additional_special_tokens": [s for s, sp in QWEN2_SPECIALS[1:14]],
            "bos_token": None,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|endoftext|>",
            "errors": "replace",
            "model_max_length": 131072,
            "pad_token": "<|endoftext|>",
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
            "unk_token": None,
        },
        "vocab.json": vocab,
    }
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    return files, merges_txt, {"size": first + len(QWEN2_SPECIALS), "bos": first, "eos": first}


GEMMA_SPECIALS = [
    ("<pad>", True),
    ("<eos>", True),
    ("<bos>", True),
    ("<unk>", True),
    ("<mask>", False),
    ("[@BOS@]", False),
    ("<unused0>", False),
    ("<unused1>", False),
    ("<start_of_turn>", False),
    ("<end_of_turn>", False),
]


def gemma_tokenizer(merge_count):
    """Gemma 2: specials 0–9, <0x00>…<0xFF> byte fallback, then characters and merges over ▁-words."""
    vocab = {s: i for i, (s, _) in enumerate(GEMMA_SPECIALS)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    words = [w for w in re.findall(r"▁?[^▁]+|▁", TRAINING_TEXT.replace(" ", "▁"))]
    for c in sorted(set("".join(words))):
        vocab.setdefault(c, len(vocab))
    merges = learn_merges(words, merge_count)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tok = tokenizer_json(
        [added(i, s, special) for i, (s, special) in enumerate(GEMMA_SPECIALS)],
        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
        None,
        {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "<bos>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "<bos>", "type_id": 1}},
                {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}},
        },
        {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
            ],
        },
        bpe_model(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True, ignore_merges=False),
    )
    files = {
        "tokenizer.json": tok,
        "tokenizer_config.json": {
            "add_bos_token": True,
            "add_eos_token": False,
            "added_tokens_decoder": {str(i): added_decoder(s, sp) for i, (s, sp) in enumerate(GEMMA_SPECIALS)},
            "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"],
            "bos_token": "<bos>",
            "clean_up_tokenization_spaces": False,
            "eos_token": "<eos>",
            "model_max_length": 1000000000000000019884624838656,
            "pad_token": "<pad>",
            "sp_model_kwargs": {},
            "spaces_between_special_tokens": False,
            "tokenizer_class": "GemmaTokenizer",
            "unk_token": "<unk>",
            "use_default_system_prompt": False,
        },
        "special_tokens_map.json": {
            "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"],
            "bos_token": {"content": "<bos>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
            "eos_token": {"content": "<eos>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
            "pad_token": {"content": "<pad>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
            "unk_token": {"content": "<unk>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        },
    }
    return files, None, {"size": len(vocab), "bos": 2, "eos": 1}


TOKENIZERS = {
    "gpt2": gpt2_tokenizer,
    "gpt_neox": neox_tokenizer,
    "llama": llama3_tokenizer,
    "qwen2": qwen2_tokenizer,
    "gemma2": gemma_tokenizer,
}
