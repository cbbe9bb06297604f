"""The character-level stacked LSTM and its configuration.

``CharLSTM(ids (B, T), states) -> (logits (B, T, V), states)``: embedding -> N LSTM
layers (Keras' LSTM, which uses cuDNN on a GPU, or the from-scratch one of
``lstm_cell.py``) with dropout between them -> a dense softmax head. States are
explicit (a list ``[h1, c1, h2, c2, ...]``), so training carries them across
batches (stateful truncated BPTT) and generation carries them across steps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import keras
import tensorflow as tf

from models.config import JsonConfig
from models.text.lstm_cell import ScratchLSTM

CELLS = ("keras", "scratch")
PRECISIONS = ("float32", "mixed_bfloat16")
STORED_DTYPES = ("float32", "float16")
UNK_LEXICONS = ("train", "wordfreq")
EXTRA_TEXTS = ("", "vital")


@dataclass
class CharLSTMConfig(JsonConfig):
    """Model and training hyper-parameters (training reads the ones the model ignores)."""

    layers: int = 2
    units: int = 512
    embedding: int = 64
    dropout: float = 0.1
    cell: str = "keras"  # "keras" (cuDNN on GPU) or "scratch" (lstm_cell.py)
    # Training precision on the CPU: "float32", or "mixed_bfloat16" (bf16 matmuls, fp32
    # weights; ~1.3x the chars/s on an avx512_bf16 CPU). A GPU always uses mixed_float16.
    # Exported checkpoints compute in float32 either way.
    precision: str = "float32"
    # How the exported checkpoint holds its weights: "float32", or "float16" (half the file,
    # for writers over ~6M parameters, which would pass 25 MB; loaded back as float32).
    stored_dtype: str = "float32"
    # Training: stateful truncated BPTT over `batch` contiguous streams of the corpus.
    seq_len: int = 128
    batch: int = 64
    lr: float = 2e-3
    min_lr_ratio: float = 0.05  # cosine decay from lr to lr * min_lr_ratio over `steps`
    warmup_steps: int = 100
    steps: int = 20_000
    clipnorm: float = 1.0
    seed: int = 1234
    vocab_min_count: int = 5
    # > 0: spell each <unk> of the tokenized train split as a training word seen at most
    # this many times, drawn anew each epoch (data.spell_unknowns); 0 keeps the UNK symbol.
    spell_unk: int = 0
    # Where those spellings come from: "train" (the split's words seen 3..spell_unk times,
    # uniformly) or "wordfreq" (rare English words from wordfreq by frequency, capitalised
    # at the rate of the split's words seen 3..spell_unk times; data.wordfreq_rare_words).
    unk_lexicon: str = "train"
    # "" or "vital": add the decontaminated vital-article extracts to every epoch (vital.py).
    extra_text: str = ""
    train_chars: int = 0  # 0 = the whole training split; >0 uses only its first N chars
    valid_chars: int = 0  # periodic validation on the first N chars of raw valid (0 = all)
    test_chars: int = 0  # the final test score on the first N chars of raw test (0 = all)
    valid_every_min: float = 10.0
    checkpoint_every_min: float = 5.0
    max_minutes: float = 0.0  # stop after this much training time (0 = run all steps)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if self.unk_lexicon not in UNK_LEXICONS:
            raise ValueError(f"unk_lexicon must be one of {UNK_LEXICONS}, not {self.unk_lexicon!r}")
        if self.extra_text not in EXTRA_TEXTS:
            raise ValueError(f"extra_text must be one of {EXTRA_TEXTS}, not {self.extra_text!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        if self.stored_dtype not in STORED_DTYPES:
            raise ValueError(f"stored_dtype must be one of {STORED_DTYPES}, not {self.stored_dtype!r}")



CONFIGS: dict[str, CharLSTMConfig] = {
    # Trains in a few seconds (tests, demo): a 1x64 LSTM on the first 200k chars.
    "tiny": CharLSTMConfig(layers=1, units=64, embedding=16, dropout=0.0, seq_len=32, batch=16,
                           lr=1e-2, warmup_steps=0, steps=40, train_chars=200_000,
                           valid_chars=20_000, test_chars=20_000, valid_every_min=0.0,
                           checkpoint_every_min=0.0),
    # The from-scratch cell at the tiny size.
    "tiny_scratch": CharLSTMConfig(layers=1, units=64, embedding=16, dropout=0.0, cell="scratch",
                                   seq_len=32, batch=16, lr=1e-2, warmup_steps=0, steps=40,
                                   train_chars=200_000, valid_chars=20_000, test_chars=20_000,
                                   valid_every_min=0.0, checkpoint_every_min=0.0),
    # tiny at 96 units, stored in float16: what `--init-from` a tiny writer `--widen` makes
    # of it (tests).
    "tiny_wide": CharLSTMConfig(layers=1, units=96, embedding=16, dropout=0.0, seq_len=32, batch=16,
                                lr=1e-2, warmup_steps=0, steps=40, train_chars=200_000,
                                valid_chars=20_000, test_chars=20_000, valid_every_min=0.0,
                                checkpoint_every_min=0.0, stored_dtype="float16"),
    # A quick real run (~10 minutes on 2 cores).
    "small": CharLSTMConfig(layers=2, units=256, embedding=48, dropout=0.0, seq_len=100, batch=64,
                            lr=3e-3, steps=3000, valid_chars=200_000, valid_every_min=3.0),
    # A 2x256 writer for a heavily shared 2-core CPU (docs/BENCHMARKS.md): 2x512 ran at
    # ~1.1k chars/s there, 2x384 ~1.9k, 2x256 ~3.9k, so 2x256 sees the most text in ~95
    # minutes; batches of 32x100 chars give 2.5x more updates than 64x128 for the same text
    # (a run at 64x128 had only 166 updates and 3.76 valid bpc after 10 minutes).
    "wiki256": CharLSTMConfig(layers=2, units=256, embedding=64, dropout=0.0, seq_len=100, batch=32,
                           lr=3e-3, warmup_steps=100, steps=3600, valid_chars=300_000,
                           valid_every_min=10.0, checkpoint_every_min=5.0, max_minutes=95.0),
    # The 2x512 writer from scratch, for an idle 2-core CPU: measured 8.9k chars/s at 64x128
    # in float32, 11.1k at 128x128 float32 and 14.6k at 128x128 mixed_bfloat16, so bf16 with
    # batches of 128x128 sees ~1.6x the text in the same time (docs/BENCHMARKS.md).
    "wiki512": CharLSTMConfig(layers=2, units=512, embedding=64, dropout=0.05, seq_len=128,
                              batch=128, lr=2e-3, warmup_steps=100, steps=7000,
                              valid_chars=300_000, valid_every_min=10.0,
                              checkpoint_every_min=5.0, max_minutes=135.0,
                              precision="mixed_bfloat16"),
    # wiki512 continued (--init-from a wiki512 writer) on the train split with each <unk>
    # spelled as a train word seen 3-5 times. The raw test's rare words are 8.5% of its
    # characters and cost the UNK-trained model 4.70 bits each against 1.56 elsewhere.
    "wiki512_spelled": CharLSTMConfig(layers=2, units=512, embedding=64, dropout=0.05, seq_len=128,
                               batch=128, lr=1e-3, warmup_steps=50, steps=7000, spell_unk=5,
                               valid_chars=300_000, valid_every_min=10.0,
                               checkpoint_every_min=5.0, max_minutes=90.0,
                               precision="mixed_bfloat16"),
    # A second warm restart of wiki512_spelled: half the peak rate, since the weights
    # already sit near a minimum of the 1e-3 schedule (SGDR-style restart).
    "wiki512_spelled_restart": CharLSTMConfig(layers=2, units=512, embedding=64, dropout=0.05, seq_len=128,
                                batch=128, lr=5e-4, warmup_steps=50, steps=7000, spell_unk=5,
                                valid_chars=300_000, valid_every_min=10.0,
                                checkpoint_every_min=5.0, max_minutes=100.0,
                                precision="mixed_bfloat16"),
    # The 2x512 writer continued (--init-from the shipped one) on a new mix: the tokenized
    # train split with each <unk> spelled as a rare wordfreq word, plus the decontaminated
    # vital-article extracts; a low peak rate, since the weights start near a minimum.
    "wiki512_wordfreq_vital": CharLSTMConfig(layers=2, units=512, embedding=64, dropout=0.05,
                                             seq_len=128, batch=128, lr=3e-4, min_lr_ratio=0.1,
                                             warmup_steps=100, steps=100_000, spell_unk=5,
                                             unk_lexicon="wordfreq", extra_text="vital",
                                             valid_chars=300_000, valid_every_min=10.0,
                                             checkpoint_every_min=10.0, max_minutes=100.0,
                                             precision="mixed_bfloat16"),
}

# wiki512_wordfreq_vital warm-started again from its own export: a third of the peak rate,
# since at 3e-4 the first ~40 minutes went to recovering from the fresh optimizer.
CONFIGS["wiki512_wordfreq_vital_low"] = dataclasses.replace(
    CONFIGS["wiki512_wordfreq_vital"], lr=1e-4, min_lr_ratio=0.2, warmup_steps=50, max_minutes=120.0)


# A 2x768 writer grown from the 2x512 one (`--init-from` its checkpoint `--widen`: the same
# function to start with, grow.py) on the same mix. 7.4M parameters are 29.7 MB in float32,
# so it ships with 16-bit weights. The new units start from their initialisation, so the peak
# rate is the first warm start's, not the later ones'.
CONFIGS["wiki768_wordfreq_vital"] = dataclasses.replace(
    CONFIGS["wiki512_wordfreq_vital"], units=768, stored_dtype="float16")

# wiki768_wordfreq_vital warm-started again from its own export (no --widen): the lower peak
# that worked for the 2x512's later restarts, so the fresh optimizer costs less of the budget.
CONFIGS["wiki768_wordfreq_vital_low"] = dataclasses.replace(
    CONFIGS["wiki768_wordfreq_vital"], lr=1e-4, min_lr_ratio=0.2, warmup_steps=50, max_minutes=120.0)


# Earlier names, still found in older sidecars and run directories.
CONFIG_ALIASES = {"wiki": "wiki256", "wiki512s": "wiki512_spelled", "wiki512s2": "wiki512_spelled_restart"}


def get_config(name: str) -> CharLSTMConfig:
    try:
        return dataclasses.replace(CONFIGS[CONFIG_ALIASES.get(name, name)])
    except KeyError:
        raise KeyError(f"unknown config {name!r}; choose from {sorted(CONFIGS)}") from None


@keras.saving.register_keras_serializable(package="wikimuse")
class CharLSTM(keras.Model):
    """Embedding -> stacked LSTM -> logits, with explicit recurrent state.

    Args:
        vocab_size: number of symbols (the softmax width).
        layers, units, embedding, dropout, cell: see :class:`CharLSTMConfig`.
    """

    def __init__(self, vocab_size: int, layers: int = 2, units: int = 512, embedding: int = 64,
                 dropout: float = 0.0, cell: str = "keras", **kwargs) -> None:
        super().__init__(**kwargs)
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {cell!r}")
        self.vocab_size = vocab_size
        self.num_layers = layers
        self.units = units
        self.embedding_dim = embedding
        self.dropout_rate = dropout
        self.cell_type = cell
        self.embedding = keras.layers.Embedding(vocab_size, embedding, name="embedding")
        self.rnns = []
        for i in range(layers):
            if cell == "keras":
                rnn = keras.layers.LSTM(units, return_sequences=True, return_state=True,
                                        name=f"lstm_{i}")
            else:
                rnn = ScratchLSTM(units, name=f"lstm_{i}")
            self.rnns.append(rnn)
        self.drop = keras.layers.Dropout(dropout, seed=0, name="dropout") if dropout > 0 else None
        self.head = keras.layers.Dense(vocab_size, name="head")

    def build(self, input_shape=None) -> None:
        self.embedding.build((None, None))
        dim = self.embedding_dim
        for rnn in self.rnns:
            rnn.build((None, None, dim))
            dim = self.units
        self.head.build((None, None, self.units))
        self.built = True

    @property
    def cells(self) -> list:
        """The per-step cells (``cell(x, [h, c]) -> (h, [h, c])``), for generation."""
        return [rnn.cell for rnn in self.rnns]

    def zero_states(self, batch: int | tf.Tensor) -> list[tf.Tensor]:
        zeros = tf.zeros([batch, self.units], dtype=self.compute_dtype)
        return [zeros] * (2 * self.num_layers)

    def call(self, ids, states=None, training=False):
        x = self.embedding(ids)  # (B, T, E)
        if states is None:
            states = self.zero_states(tf.shape(ids)[0])
        new_states = []
        for i, rnn in enumerate(self.rnns):
            x, h, c = rnn(x, initial_state=[states[2 * i], states[2 * i + 1]], training=training)
            new_states += [h, c]
            if self.drop is not None:
                x = self.drop(x, training=training)
        return self.head(x), new_states  # (B, T, V)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "layers": self.num_layers,
            "units": self.units,
            "embedding": self.embedding_dim,
            "dropout": self.dropout_rate,
            "cell": self.cell_type,
        }


def build_model(config: CharLSTMConfig, vocab_size: int) -> CharLSTM:
    """A built (weights created) :class:`CharLSTM` for ``config``."""
    model = CharLSTM(vocab_size, layers=config.layers, units=config.units,
                     embedding=config.embedding, dropout=config.dropout, cell=config.cell,
                     name="char_lstm")
    model.build((None, None))
    return model
