"""What autograd keeps for backward: every tensor a forward pass saves, measured, and the
same bytes computed by hand from the shapes.

``SavedLog`` is a context manager around a forward pass. It installs
``torch.autograd.graph.saved_tensors_hooks``: autograd calls the *pack* hook every time an
operation saves a tensor for its backward, and the *unpack* hook when backward reads it
back. The log records each saved tensor (shape, dtype, bytes, which storage it lives in),
and, during backward, when each is read and when autograd lets go of it.

``mlp_saved_by_hand`` is the independent side: what each line of
``snippets.makemore.forward`` must save, worked out from the line's derivative alone. The
tests require the two to agree for every batch size.

Python numbers in a forward pass (the ``1 / n`` of a mean written out, say) are kept by
their node as well, but they are not tensors the pass made: the hooks never see them, and
neither side counts them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import torch

from snippets import gpt
from snippets.makemore import BLOCK_SIZE, N_EMBD, N_HIDDEN, VOCAB_SIZE, forward


@dataclass(frozen=True)
class SavedTensor:
    """One tensor saved for backward, in the order the forward pass saved it."""

    index: int
    shape: tuple[int, ...]
    dtype: torch.dtype
    nbytes: int
    storage: int  # where its memory starts: two saves of one tensor share it
    name: str = ""  # the tensor it is, when it has a name (see SavedLog.label)


class _Packed:
    """What the pack hook hands autograd instead of the tensor: autograd holds this object
    for as long as it needs the tensor, so its end is the moment autograd lets go."""

    __slots__ = ("tensor", "index", "__weakref__")

    def __init__(self, tensor: torch.Tensor, index: int):
        self.tensor = tensor
        self.index = index


@dataclass
class SavedLog:
    """Everything autograd saves while the ``with`` block runs, and what backward does with it.

    ``saved``: one SavedTensor per save. ``events`` (filled during backward):
    ``("read", i)`` when backward reads save i, ``("freed", i)`` when autograd drops it."""

    saved: list[SavedTensor] = field(default_factory=list)
    events: list[tuple[str, int]] = field(default_factory=list)

    def _pack(self, tensor: torch.Tensor) -> _Packed:
        index = len(self.saved)
        self.saved.append(
            SavedTensor(
                index=index,
                shape=tuple(tensor.shape),
                dtype=tensor.dtype,
                nbytes=tensor.nelement() * tensor.element_size(),
                storage=tensor.untyped_storage().data_ptr(),
            )
        )
        packed = _Packed(tensor, index)
        weakref.finalize(packed, self.events.append, ("freed", index))
        return packed

    def _unpack(self, packed: _Packed) -> torch.Tensor:
        self.events.append(("read", packed.index))
        return packed.tensor

    def __enter__(self) -> "SavedLog":
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)

    def label(self, named: Mapping[str, torch.Tensor]) -> None:
        """Give each save the name of the tensor it is (same memory, same shape); saves of
        tensors nobody named (temporaries made inside one line) keep the name ''. A save in
        another shape over a named tensor's memory (``x.view(-1, C)``, which a matrix
        product of a batch of rows saves) takes that tensor's name."""
        by_memory = {
            (t.untyped_storage().data_ptr(), tuple(t.shape)): name
            for name, t in named.items()
        }
        by_storage: dict[int, str] = {}
        for name, t in named.items():
            by_storage.setdefault(t.untyped_storage().data_ptr(), name)
        self.saved = [
            SavedTensor(s.index, s.shape, s.dtype, s.nbytes, s.storage,
                        by_memory.get((s.storage, s.shape), by_storage.get(s.storage, "")))
            for s in self.saved
        ]

    @property
    def total_bytes(self) -> int:
        """Every save counted, as the nodes hold them."""
        return sum(s.nbytes for s in self.saved)

    @property
    def distinct_bytes(self) -> int:
        """The memory behind the saves: a tensor saved by two nodes counted once."""
        return sum({s.storage: s.nbytes for s in self.saved}.values())

    def held_during_backward(self, leave_out: Iterable[str] = ()) -> list[int]:
        """Bytes of distinct memory the graph still holds: before backward, then after each
        time autograd drops a save. ``leave_out``: names not to count (parameters, say)."""
        leave_out = set(leave_out)
        counted = [s for s in self.saved if not (s.name and s.name in leave_out)]
        holders: dict[int, set[int]] = {}
        for s in counted:
            holders.setdefault(s.storage, set()).add(s.index)
        size = {s.storage: s.nbytes for s in counted}
        held = [sum(size.values())]
        for kind, index in self.events:
            if kind != "freed":
                continue
            storage = self.saved[index].storage
            if storage not in holders:  # left out
                continue
            holders[storage].discard(index)
            if not holders[storage]:
                held.append(held[-1] - size[storage])
            else:
                held.append(held[-1])
        return held


def saves_of_forward(params, Xb: torch.Tensor, Yb: torch.Tensor, retain_grads: bool = True):
    """The MLP's forward pass (snippets.makemore.forward) under the hooks, every save named
    after the tensor it is: returns (the forward pass's tensors, the log)."""
    with SavedLog() as log:
        fw = forward(params, Xb, Yb, retain_grads=retain_grads)
    log.label({"Xb": Xb, "Yb": Yb, **dict(fw.items()), **dict(params.items())})
    return fw, log


# --8<-- [start:by-hand]
@dataclass(frozen=True)
class Save:
    """One tensor a line of the forward pass must keep for its backward."""

    line: str
    name: str
    shape: tuple[int, ...]
    dtype: torch.dtype = torch.float32

    @property
    def nbytes(self) -> int:
        numel = 1
        for size in self.shape:
            numel *= size
        return numel * torch.empty(0, dtype=self.dtype).element_size()


def mlp_saved_by_hand(n: int, n_hidden: int = N_HIDDEN,
                      n_embd: int = N_EMBD) -> list[Save]:
    """What each line of snippets.makemore.forward keeps, read off its derivative:
    a line keeps what its local derivative is written in, and only for the inputs
    that need a gradient."""
    fan_in, i64 = BLOCK_SIZE * n_embd, torch.int64
    H, V = n_hidden, VOCAB_SIZE
    return [
        # emb = C[Xb]: the scatter-add needs the indices
        Save("emb = C[Xb]", "Xb", (n, BLOCK_SIZE), i64),
        # hprebn = embcat @ W1 + b1: each factor's gradient is made
        # of the other factor; the bias needs only its shape
        Save("hprebn = embcat @ W1 + b1", "W1", (fan_in, H)),
        Save("hprebn = embcat @ W1 + b1", "embcat", (n, fan_in)),
        # bnmeani, bndiff: sums, 1/n times, a difference: shapes only
        # bndiff2 = bndiff**2: the derivative 2 bndiff
        Save("bndiff2 = bndiff**2", "bndiff", (n, H)),
        # bnvar: a sum times 1/(n-1): shapes only
        # bnvar_inv = (bnvar + 1e-5)**-0.5: the power's input, a
        # temporary that has no name
        Save("bnvar_inv = (bnvar + 1e-5)**-0.5", "", (1, H)),
        # bnraw = bndiff * bnvar_inv: each factor for the other
        Save("bnraw = bndiff * bnvar_inv", "bnvar_inv", (1, H)),
        Save("bnraw = bndiff * bnvar_inv", "bndiff", (n, H)),
        # hpreact = bngain * bnraw + bnbias: each factor for the other
        Save("hpreact = bngain * bnraw + bnbias", "bnraw", (n, H)),
        Save("hpreact = bngain * bnraw + bnbias", "bngain", (1, H)),
        # h = tanh(hpreact): 1 - h**2 is written in the output
        Save("h = tanh(hpreact)", "h", (n, H)),
        # logits = h @ W2 + b2
        Save("logits = h @ W2 + b2", "W2", (H, V)),
        Save("logits = h @ W2 + b2", "h", (n, H)),
        # logit_maxes = logits.max(1): where each maximum was
        Save("logit_maxes = logits.max(1)", "", (n, 1), i64),
        # norm_logits = logits - logit_maxes: shapes only
        # counts = norm_logits.exp(): the derivative is the output
        Save("counts = norm_logits.exp()", "counts", (n, V)),
        # counts_sum: a sum, shapes only
        # counts_sum_inv = counts_sum**-1: the power's input
        Save("counts_sum_inv = counts_sum**-1", "counts_sum", (n, 1)),
        # probs = counts * counts_sum_inv: each factor for the other
        Save("probs = counts * counts_sum_inv", "counts_sum_inv", (n, 1)),
        Save("probs = counts * counts_sum_inv", "counts", (n, V)),
        # logprobs = probs.log(): the derivative 1 / probs
        Save("logprobs = probs.log()", "probs", (n, V)),
        # loss = -logprobs[range(n), Yb].mean(): the two index
        # tensors of the pick; the mean and the minus: shapes only
        Save("loss = -logprobs[range(n), Yb].mean()", "", (n,), i64),
        Save("loss = -logprobs[range(n), Yb].mean()", "Yb", (n,), i64),
    ]
# --8<-- [end:by-hand]


# --8<-- [start:gpt-by-hand]
def gpt_block_saved_by_hand(B, T, C: int = gpt.N_EMBD,
                            H: int = gpt.N_HEADS, i: int = 0) -> list[Save]:
    """What block i of snippets.gpt.forward keeps, line by line, read off
    each line's derivative. B and T may be sympy symbols."""
    D, b = C // H, torch.bool

    def copy(name: str) -> str:
        # [B, H, T, D] read as [B*H, T, D]: a new tensor when B > 1 (the
        # heads are not next to each other in memory), a view when B == 1
        return f"{name}_{i}" if B == 1 else ""

    return [
        # a_in = layer_norm(x): the input, its mean and 1/std, the affine
        Save("a_in = ln1(x)", f"ln1_b_{i}", (C,)),
        Save("a_in = ln1(x)", f"x_{i}", (B, T, C)),
        Save("a_in = ln1(x)", f"ln1_w_{i}", (C,)),
        Save("a_in = ln1(x)", "", (B, T, 1)),          # mean
        Save("a_in = ln1(x)", "", (B, T, 1)),          # 1 / std
        # q, k, v = a_in @ Wq, Wk, Wv: each factor for the other; a_in
        # is one tensor, read as B*T rows, kept by all three
        *[save for W in ("Wq", "Wk", "Wv") for save in (
            Save(f"{W[1]} = a_in @ {W}", f"{W}_{i}", (C, C)),
            Save(f"{W[1]} = a_in @ {W}", f"a_in_{i}", (B * T, C)))],
        # scores = q @ k^T / sqrt(D): each factor for the other
        Save("scores = q @ k^T", copy("k"), (B * H, D, T)),
        Save("scores = q @ k^T", copy("q"), (B * H, T, D)),
        # masked_fill: where the mask is, the gradient stops (one mask,
        # made once, for every block)
        Save("masked_fill(mask, -inf)", "mask", (T, T), b),
        # att = softmax(...): the derivative is written in the output
        Save("att = softmax(...)", f"att_{i}", (B, H, T, T)),
        # heads = att @ v: each factor for the other
        Save("heads = att @ v", copy("v"), (B * H, T, D)),
        Save("heads = att @ v", f"att_{i}", (B * H, T, T)),
        # x1 = x + merged @ Wo
        Save("x1 = x + merged @ Wo", f"Wo_{i}", (C, C)),
        Save("x1 = x + merged @ Wo", f"merged_{i}", (B * T, C)),
        # m_in = layer_norm(x1)
        Save("m_in = ln2(x1)", f"ln2_b_{i}", (C,)),
        Save("m_in = ln2(x1)", f"x1_{i}", (B, T, C)),
        Save("m_in = ln2(x1)", f"ln2_w_{i}", (C,)),
        Save("m_in = ln2(x1)", "", (B, T, 1)),
        Save("m_in = ln2(x1)", "", (B, T, 1)),
        # pre = m_in @ W1; hidden = gelu(pre): GELU's input
        Save("pre = m_in @ W1", f"W1_{i}", (C, 4 * C)),
        Save("pre = m_in @ W1", f"m_in_{i}", (B * T, C)),
        Save("hidden = gelu(pre)", f"pre_{i}", (B, T, 4 * C)),
        # x = x1 + hidden @ W2
        Save("x = x1 + hidden @ W2", f"W2_{i}", (4 * C, C)),
        Save("x = x1 + hidden @ W2", f"hidden_{i}", (B * T, 4 * C)),
    ]
# --8<-- [end:gpt-by-hand]


def gpt_saved_by_hand(B, T, C: int = gpt.N_EMBD, H: int = gpt.N_HEADS,
                      n_layers: int = gpt.N_LAYERS) -> list[Save]:
    """Every save of snippets.gpt.forward: the lookup's indices, each block, the final
    LayerNorm, the head and the loss."""
    i64 = torch.int64
    return [
        Save("tok = wte[X]", "X", (B, T), i64),
        *[save for i in range(n_layers) for save in gpt_block_saved_by_hand(B, T, C, H, i)],
        Save("final = ln_f(x)", "lnf_b", (C,)),
        Save("final = ln_f(x)", f"x_{n_layers}", (B, T, C)),
        Save("final = ln_f(x)", "lnf_w", (C,)),
        Save("final = ln_f(x)", "", (B, T, 1)),
        Save("final = ln_f(x)", "", (B, T, 1)),
        Save("logits = final @ head", "head", (C, VOCAB_SIZE)),
        Save("logits = final @ head", "final", (B * T, C)),
        Save("logprobs = log_softmax(logits)", "logprobs", (B, T, VOCAB_SIZE)),
        # loss = -logprobs.gather(-1, Y[..., None]).mean(): the index, and
        # the gathered-from tensor (for its shape, kept whole)
        Save("loss = -gather(...).mean()", "Y", (B, T, 1), i64),
        Save("loss = -gather(...).mean()", "logprobs", (B, T, VOCAB_SIZE)),
    ]


def gpt_saves_of_forward(params, X: torch.Tensor, Y: torch.Tensor, n_heads: int = gpt.N_HEADS):
    """snippets.gpt.forward under the hooks, every save named after the tensor it is (the
    causal mask, made inside the forward pass, is its one boolean tensor)."""
    with SavedLog() as log:
        t = gpt.forward(params, X, Y, n_heads=n_heads)
    log.label({"X": X, "Y": Y, **t, **dict(params.items())})
    log.saved = [replace(s, name="mask") if s.dtype == torch.bool else s for s in log.saved]
    return t, log


def total_bytes(saves: Iterable[Save]) -> int:
    return sum(s.nbytes for s in saves)


def distinct_bytes(saves: Iterable[Save]) -> int:
    """A named tensor saved by two lines is one piece of memory; unnamed ones are each new."""
    seen: dict[str, int] = {}
    unnamed = 0
    for s in saves:
        if s.name:
            seen[s.name] = s.nbytes
        else:
            unnamed += s.nbytes
    return sum(seen.values()) + unnamed


class Kept(dict):
    """The forward-pass tensors a hand-written backward still needs, by name.

    ``kept["h"]`` reads one; ``kept.last_use("h")`` reads it for the last time and lets go
    of it. ``held`` records the bytes still kept: at the start, then after each last use,
    and ``freed`` the names in the order they went."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]):
        super().__init__((name, t.detach()) for name, t in tensors.items())
        self.held = [self.nbytes]
        self.freed: list[str] = []

    @property
    def nbytes(self) -> int:
        return sum(t.nelement() * t.element_size() for t in self.values())

    def last_use(self, name: str) -> torch.Tensor:
        tensor = self.pop(name)
        self.freed.append(name)
        self.held.append(self.nbytes)
        return tensor
