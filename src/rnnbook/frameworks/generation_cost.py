r"""Two small token decoders for measuring the cost of generation (chapter 21).

``RecurrentDecoder``    embedding -> layers x [x + MLP(mixer(LayerNorm(x)))] -> logits,
                        with an LRU (``mixer="lru"``) or a minGRU layer and a linear map back
                        to ``d_model`` (``mixer="mingru"``) as the mixer; its memory while
                        generating is one state of ``n_state`` numbers per layer (complex for
                        the LRU, real for minGRU), whatever the context length.
``TransformerDecoder``  embedding + sinusoidal positions -> layers x [pre-LN causal
                        self-attention, pre-LN MLP] -> logits; while generating it keeps a
                        key and a value vector per layer for every earlier position (the KV
                        cache), so memory and time per token grow with the context.

Both expose ``step(tokens, memory)`` for one generation step and ``empty_memory`` /
``random_memory`` to set up a context of a given length without running the prompt (the
cost of the next step does not depend on the values in the cache or the state, only on
their sizes). ``time_generation_step`` and ``memory_bytes`` measure them; ``benchmarks/
bench_generation.py`` and chapter 21 use these functions.
"""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.nn import functional as F

from rnnbook.frameworks.lru import LRU
from rnnbook.frameworks.min_rnn import MinGRU

__all__ = [
    "RecurrentDecoder",
    "TransformerDecoder",
    "count_parameters",
    "memory_bytes",
    "time_generation_step",
    "max_step_error",
]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def memory_bytes(memory) -> int:
    """Bytes held by a decoder's generation memory (a nested list/tuple of tensors)."""
    if isinstance(memory, torch.Tensor):
        return memory.numel() * memory.element_size()
    return sum(memory_bytes(m) for m in memory)


class _MinGRUMixer(nn.Module):
    """minGRU layer (d_model -> n_state) and a linear map back to d_model."""

    def __init__(self, d_model, n_state):
        super().__init__()
        self.rnn = MinGRU(d_model, n_state)
        self.out = nn.Linear(n_state, d_model)

    def forward(self, x):  # x (N, T, d_model) -> (N, T, d_model)
        return self.out(self.rnn(x, mode="parallel"))

    def step(self, x_t, h_prev):  # (N, d_model), (N, n_state) -> output, new state
        h = self.rnn.step(x_t, h_prev)
        return self.out(h), h


class _LRUMixer(nn.Module):
    def __init__(self, d_model, n_state, **lru_kwargs):
        super().__init__()
        self.lru = LRU(d_model, n_state, **lru_kwargs)

    def forward(self, x):
        return self.lru(x, method="scan")

    def step(self, x_t, x_prev):
        return self.lru.step(x_t, x_prev)


MIXERS = {
    "lru": torch.complex64,
    "mingru": torch.float32,
}  # mixer -> dtype of its state


class RecurrentDecoder(nn.Module):
    """Token LM with LRU or minGRU layers. tokens (N, T) -> logits (N, T, V)."""

    def __init__(self, vocab, d_model, layers, n_state, mixer="lru", **lru_kwargs):
        super().__init__()
        if mixer not in MIXERS:
            raise ValueError(f"mixer must be one of {sorted(MIXERS)}, got {mixer!r}")
        if lru_kwargs and mixer != "lru":
            raise ValueError(
                f"LRU options {sorted(lru_kwargs)} given with mixer={mixer!r}"
            )
        self.embed = nn.Embedding(vocab, d_model)
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(layers))
        self.mixers = nn.ModuleList(
            _LRUMixer(d_model, n_state, **lru_kwargs)
            if mixer == "lru"
            else _MinGRUMixer(d_model, n_state)
            for _ in range(layers)
        )
        self.mlps = nn.ModuleList(
            nn.Sequential(
                nn.Linear(d_model, 4 * d_model),
                nn.GELU(),
                nn.Linear(4 * d_model, d_model),
            )
            for _ in range(layers)
        )
        self.out_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)
        self.n_state, self.state_dtype = n_state, MIXERS[mixer]

    def forward(self, tokens):
        z = self.embed(tokens)
        for norm, mixer, mlp in zip(self.norms, self.mixers, self.mlps):
            z = z + mlp(mixer(norm(z)))
        return self.head(self.out_norm(z))

    def empty_memory(self, batch):
        shape = (batch, self.n_state)
        return [torch.zeros(shape, dtype=self.state_dtype) for _ in self.mixers]

    def random_memory(self, batch, context):
        """A state as after ``context`` tokens (its size does not depend on context)."""
        shape = (batch, self.n_state)
        return [torch.randn(shape, dtype=self.state_dtype) for _ in self.mixers]

    def step(self, tokens, memory):
        """tokens (N,) -> logits (N, V) and the new states (one (N, n_state) per layer)."""
        z = self.embed(tokens)
        new = []
        for norm, mixer, mlp, state in zip(self.norms, self.mixers, self.mlps, memory):
            y, state = mixer.step(norm(z), state)
            z = z + mlp(y)
            new.append(state)
        return self.head(self.out_norm(z)), new


def _sinusoid(positions, d_model):
    """Sinusoidal position encodings (Vaswani et al. 2017): positions (T,) -> (T, d_model)."""
    i = torch.arange(0, d_model, 2, dtype=torch.float32)
    angles = positions[:, None].float() / torch.pow(10_000.0, i / d_model)
    enc = torch.zeros(len(positions), d_model)
    enc[:, 0::2], enc[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return enc


class TransformerDecoder(nn.Module):
    """Decoder-only Transformer. tokens (N, T) -> logits (N, T, V)."""

    def __init__(self, vocab, d_model, layers, heads):
        super().__init__()
        if d_model % heads:
            raise ValueError(
                f"d_model = {d_model} must be divisible by heads = {heads}"
            )
        self.embed = nn.Embedding(vocab, d_model)
        self.heads, self.d_model = heads, d_model
        self.norm1 = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(layers))
        self.qkv = nn.ModuleList(nn.Linear(d_model, 3 * d_model) for _ in range(layers))
        self.proj = nn.ModuleList(nn.Linear(d_model, d_model) for _ in range(layers))
        self.norm2 = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(layers))
        self.mlps = nn.ModuleList(
            nn.Sequential(
                nn.Linear(d_model, 4 * d_model),
                nn.GELU(),
                nn.Linear(4 * d_model, d_model),
            )
            for _ in range(layers)
        )
        self.out_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def _split(self, t):  # (N, T, d_model) -> (N, heads, T, d_head)
        N, T, _ = t.shape
        return t.view(N, T, self.heads, -1).transpose(1, 2)

    def forward(self, tokens):
        N, T = tokens.shape
        z = self.embed(tokens) + _sinusoid(torch.arange(T), self.d_model)
        for n1, qkv, proj, n2, mlp in zip(
            self.norm1, self.qkv, self.proj, self.norm2, self.mlps
        ):
            q, k, v = qkv(n1(z)).chunk(3, dim=-1)
            att = F.scaled_dot_product_attention(
                self._split(q), self._split(k), self._split(v), is_causal=True
            )
            z = z + proj(att.transpose(1, 2).reshape(N, T, self.d_model))
            z = z + mlp(n2(z))
        return self.head(self.out_norm(z))

    def empty_memory(self, batch):
        d_head = self.d_model // self.heads
        shape = (batch, self.heads, 0, d_head)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in self.qkv]

    def random_memory(self, batch, context):
        """A KV cache as after ``context`` tokens (random keys and values)."""
        d_head = self.d_model // self.heads
        shape = (batch, self.heads, context, d_head)
        return [(torch.randn(shape), torch.randn(shape)) for _ in self.qkv]

    def step(self, tokens, memory):
        """tokens (N,) -> logits (N, V) and the cache grown by one position per layer."""
        position = memory[0][0].shape[2]
        z = self.embed(tokens)[:, None] + _sinusoid(
            torch.tensor([position]), self.d_model
        )
        new = []
        for n1, qkv, proj, n2, mlp, (k_cache, v_cache) in zip(
            self.norm1, self.qkv, self.proj, self.norm2, self.mlps, memory
        ):
            q, k, v = qkv(n1(z)).chunk(3, dim=-1)
            k_all = torch.cat([k_cache, self._split(k)], dim=2)
            v_all = torch.cat([v_cache, self._split(v)], dim=2)
            att = F.scaled_dot_product_attention(self._split(q), k_all, v_all)
            z = z + proj(att.transpose(1, 2).reshape(-1, 1, self.d_model))
            z = z + mlp(n2(z))
            new.append((k_all, v_all))
        return self.head(self.out_norm(z))[:, 0], new


@torch.no_grad()
def time_generation_step(model, context, batch=1, repeats=20, warmup=3):
    """Median seconds of one ``step`` with a context of ``context`` earlier tokens.

    Returns (seconds, memory_bytes) where memory_bytes is the size of the cache or state
    the step reads (for the Transformer: ``2 * layers * batch * context * d_model`` floats).
    Each repetition starts again from the same memory, so the context does not grow.
    """
    memory = model.random_memory(batch, context)
    tokens = torch.zeros(batch, dtype=torch.long)
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        model.step(tokens, memory)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], memory_bytes(memory)


def max_step_error(model, vocab, T=12, seed=0):
    """Max |parallel forward - step by step| over the logits of random tokens."""
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, vocab, (2, T), generator=g)
    with torch.no_grad():
        full = model(tokens)
        memory = model.empty_memory(2)
        steps = []
        for t in range(T):
            logits, memory = model.step(tokens[:, t], memory)
            steps.append(logits)
    return (full - torch.stack(steps, dim=1)).abs().max().item()
