"""The makemore MLP of "A whole network by hand": its data, its parameters, its forward pass.

Every page and notebook of that section imports what it needs from here, so they all train
and differentiate the same network on the same names.

Data. First names from the 1990 US Census, as shipped inside the ``names`` package on PyPI
(files ``dist.female.first`` and ``dist.male.first``, MIT licence): installed with the
project, never downloaded at build time. Lower-cased, duplicates removed, sorted, then
shuffled with a fixed seed.

Model. Three characters of context, each looked up in an embedding table ``C``; a linear
layer; BatchNorm (with Bessel's correction in the batch variance, as in the seeds); tanh; a
linear layer to 27 logits; cross-entropy written out one operation per line. The
initialisation is the seeds': small random values everywhere, so no gradient can hide
behind a zero.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, fields
from importlib import resources

import torch

VOCAB = "." + string.ascii_lowercase  # '.' starts and ends every name
VOCAB_SIZE = len(VOCAB)
stoi = {ch: i for i, ch in enumerate(VOCAB)}
itos = dict(enumerate(VOCAB))

BLOCK_SIZE = 3  # characters of context
N_EMBD = 10  # numbers per character in the embedding table
N_HIDDEN = 64  # hidden units (the training page uses 200)
BATCH_SIZE = 32
SEED = 2147483647  # the seeds' generator seed

NAMES_SOURCE = "first names of the 1990 US Census, from the names package on PyPI"

# The tensors of the forward pass, in the order it makes them.
INTERMEDIATES = (
    "emb", "embcat", "hprebn", "bnmeani", "bndiff", "bndiff2", "bnvar", "bnvar_inv",
    "bnraw", "hpreact", "h", "logits", "logit_maxes", "norm_logits", "counts",
    "counts_sum", "counts_sum_inv", "probs", "logprobs", "loss",
)


def load_words() -> list[str]:
    """Every distinct first name in the ``names`` package, lower case, in a seeded order."""
    package = resources.files("names")
    words = set()
    for filename in ("dist.female.first", "dist.male.first"):
        for line in package.joinpath(filename).read_text().splitlines():
            if line.strip():
                words.add(line.split()[0].lower())
    ordered = sorted(words)
    random.Random(SEED).shuffle(ordered)
    return ordered


def build_dataset(words: list[str], block_size: int = BLOCK_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context, next character) pair of every word: X is [n, block_size], Y is [n]."""
    X, Y = [], []
    for word in words:
        context = [0] * block_size
        for ch in word + ".":
            X.append(context)
            Y.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    return torch.tensor(X), torch.tensor(Y)


def splits(words: list[str] | None = None):
    """Train, dev and test sets (80 / 10 / 10 per cent of the words), each an (X, Y) pair."""
    words = load_words() if words is None else words
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return build_dataset(words[:n1]), build_dataset(words[n1:n2]), build_dataset(words[n2:])


@dataclass
class Params:
    """The seven parameter tensors of the network."""

    C: torch.Tensor  # [27, n_embd]         embedding table
    W1: torch.Tensor  # [3 * n_embd, n_hidden]
    b1: torch.Tensor  # [n_hidden]
    W2: torch.Tensor  # [n_hidden, 27]
    b2: torch.Tensor  # [27]
    bngain: torch.Tensor  # [1, n_hidden]
    bnbias: torch.Tensor  # [1, n_hidden]

    def __iter__(self):
        return (getattr(self, f.name) for f in fields(self))

    def items(self):
        return ((f.name, getattr(self, f.name)) for f in fields(self))

    @property
    def count(self) -> int:
        return sum(p.numel() for p in self)


def init_params(n_hidden: int = N_HIDDEN, n_embd: int = N_EMBD, seed: int = SEED) -> Params:
    """Small random values everywhere (no zeros that could mask a wrong gradient)."""
    g = torch.Generator().manual_seed(seed)
    fan_in = n_embd * BLOCK_SIZE
    params = Params(
        C=torch.randn((VOCAB_SIZE, n_embd), generator=g),
        W1=torch.randn((fan_in, n_hidden), generator=g) * (5 / 3) / fan_in**0.5,
        b1=torch.randn(n_hidden, generator=g) * 0.1,
        W2=torch.randn((n_hidden, VOCAB_SIZE), generator=g) * 0.1,
        b2=torch.randn(VOCAB_SIZE, generator=g) * 0.1,
        bngain=torch.randn((1, n_hidden), generator=g) * 0.1 + 1.0,
        bnbias=torch.randn((1, n_hidden), generator=g) * 0.1,
    )
    for p in params:
        p.requires_grad_(True)
    return params


def sample_batch(X: torch.Tensor, Y: torch.Tensor, batch_size: int = BATCH_SIZE,
                 generator: torch.Generator | None = None):
    """batch_size random rows of (X, Y)."""
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
    return X[ix], Y[ix]


@dataclass
class Forward:
    """Every tensor the forward pass makes, by the name the pages use for it."""

    emb: torch.Tensor
    embcat: torch.Tensor
    hprebn: torch.Tensor
    bnmeani: torch.Tensor
    bndiff: torch.Tensor
    bndiff2: torch.Tensor
    bnvar: torch.Tensor
    bnvar_inv: torch.Tensor
    bnraw: torch.Tensor
    hpreact: torch.Tensor
    h: torch.Tensor
    logits: torch.Tensor
    logit_maxes: torch.Tensor
    norm_logits: torch.Tensor
    counts: torch.Tensor
    counts_sum: torch.Tensor
    counts_sum_inv: torch.Tensor
    probs: torch.Tensor
    logprobs: torch.Tensor
    loss: torch.Tensor

    def items(self):
        return ((name, getattr(self, name)) for name in INTERMEDIATES)


def forward(p: Params, Xb: torch.Tensor, Yb: torch.Tensor, retain_grads: bool = True) -> Forward:
    """The forward pass, one intermediate per line; under autograd each keeps its .grad
    (unless ``retain_grads=False``: then backward frees them, as in plain training code)."""
    # --8<-- [start:forward]
    n = Xb.shape[0]                               # 32 examples
    emb = p.C[Xb]                                 # [n, 3, 10]
    embcat = emb.view(n, -1)                      # [n, 30]
    hprebn = embcat @ p.W1 + p.b1                 # [n, 64]
    # BatchNorm, with Bessel's correction (n - 1) in the variance
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)  # [1, 64]
    bndiff = hprebn - bnmeani                     # [n, 64]
    bndiff2 = bndiff**2                           # [n, 64]
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # [1, 64]
    bnvar_inv = (bnvar + 1e-5) ** -0.5            # [1, 64]
    bnraw = bndiff * bnvar_inv                    # [n, 64]
    hpreact = p.bngain * bnraw + p.bnbias         # [n, 64]
    h = torch.tanh(hpreact)                       # [n, 64]
    logits = h @ p.W2 + p.b2                      # [n, 27]
    # cross-entropy, written out
    logit_maxes = logits.max(1, keepdim=True).values  # [n, 1]
    norm_logits = logits - logit_maxes            # [n, 27]
    counts = norm_logits.exp()                    # [n, 27]
    counts_sum = counts.sum(1, keepdim=True)      # [n, 1]
    counts_sum_inv = counts_sum**-1               # [n, 1]
    probs = counts * counts_sum_inv               # [n, 27]
    logprobs = probs.log()                        # [n, 27]
    loss = -logprobs[range(n), Yb].mean()         # scalar
    # --8<-- [end:forward]
    fw = Forward(**{name: value for name, value in locals().items() if name in INTERMEDIATES})
    for name, tensor in fw.items():
        if retain_grads and tensor.requires_grad:
            tensor.retain_grad()
    return fw


@torch.no_grad()
def batchnorm_statistics(p: Params, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """BatchNorm's mean and (Bessel-corrected) variance over a whole dataset, for sampling."""
    hprebn = p.C[X].view(X.shape[0], -1) @ p.W1 + p.b1
    return hprebn.mean(0, keepdim=True), hprebn.var(0, keepdim=True, unbiased=True)


@torch.no_grad()
def inference_logits(p: Params, X: torch.Tensor, bn_mean: torch.Tensor, bn_var: torch.Tensor) -> torch.Tensor:
    """The network on contexts X [m, 3] -> logits [m, 27], BatchNorm with fixed statistics."""
    hprebn = p.C[X].view(X.shape[0], -1) @ p.W1 + p.b1
    hpreact = p.bngain * (hprebn - bn_mean) * (bn_var + 1e-5) ** -0.5 + p.bnbias
    return torch.tanh(hpreact) @ p.W2 + p.b2


@torch.no_grad()
def evaluate(p: Params, X: torch.Tensor, Y: torch.Tensor, bn_mean: torch.Tensor, bn_var: torch.Tensor) -> float:
    """Mean cross-entropy over a whole split, BatchNorm statistics fixed."""
    return torch.nn.functional.cross_entropy(inference_logits(p, X, bn_mean, bn_var), Y).item()


@torch.no_grad()
def sample_names(p: Params, bn_mean: torch.Tensor, bn_var: torch.Tensor, count: int,
                 generator: torch.Generator) -> list[str]:
    """Names drawn one character at a time from the model (BatchNorm uses fixed statistics)."""
    out = []
    for _ in range(count):
        context, word = [0] * BLOCK_SIZE, ""
        while True:
            logits = inference_logits(p, torch.tensor([context]), bn_mean, bn_var)
            probs = torch.softmax(logits, dim=1)
            ix = torch.multinomial(probs, 1, generator=generator).item()
            if ix == 0:
                break
            word += itos[ix]
            context = context[1:] + [ix]
        out.append(word)
    return out


@torch.no_grad()
def backward_by_hand(p: Params, fw: Forward, Xb: torch.Tensor, Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """The hand-written backward pass of "Every intermediate", its lines gathered in one
    place (that page derives each one and checks that these agree with its own to the bit):
    every intermediate's gradient but the loss's, and every parameter's, by name."""
    import torch.nn.functional as F

    t = {name: tensor.detach() for name, tensor in fw.items()}
    n = Xb.shape[0]
    g: dict[str, torch.Tensor] = {}
    g["logprobs"] = torch.zeros_like(t["logprobs"])
    g["logprobs"][range(n), Yb] = -1.0 / n
    g["probs"] = g["logprobs"] / t["probs"]
    g["counts_sum_inv"] = (t["counts"] * g["probs"]).sum(1, keepdim=True)
    g["counts"] = t["counts_sum_inv"] * g["probs"]
    g["counts_sum"] = -t["counts_sum"] ** -2 * g["counts_sum_inv"]
    g["counts"] += g["counts_sum"]
    g["norm_logits"] = t["counts"] * g["counts"]
    g["logit_maxes"] = -g["norm_logits"].sum(1, keepdim=True)
    winners = t["logits"].max(1).indices
    g["logits"] = g["norm_logits"].clone()
    g["logits"] += F.one_hot(winners, VOCAB_SIZE) * g["logit_maxes"]
    g["h"] = g["logits"] @ p.W2.detach().T
    g["W2"] = t["h"].T @ g["logits"]
    g["b2"] = g["logits"].sum(0)
    g["hpreact"] = (1 - t["h"] ** 2) * g["h"]
    g["bngain"] = (t["bnraw"] * g["hpreact"]).sum(0, keepdim=True)
    g["bnbias"] = g["hpreact"].sum(0, keepdim=True)
    g["bnraw"] = p.bngain.detach() * g["hpreact"]
    g["bnvar_inv"] = (t["bndiff"] * g["bnraw"]).sum(0, keepdim=True)
    g["bndiff"] = t["bnvar_inv"] * g["bnraw"]
    g["bnvar"] = -0.5 * (t["bnvar"] + 1e-5) ** -1.5 * g["bnvar_inv"]
    g["bndiff2"] = (1 / (n - 1) * g["bnvar"]).expand_as(t["bndiff2"])
    g["bndiff"] += 2 * t["bndiff"] * g["bndiff2"]
    g["bnmeani"] = -g["bndiff"].sum(0, keepdim=True)
    g["hprebn"] = g["bndiff"].clone()
    g["hprebn"] += 1 / n * g["bnmeani"]
    g["embcat"] = g["hprebn"] @ p.W1.detach().T
    g["W1"] = t["embcat"].T @ g["hprebn"]
    g["b1"] = g["hprebn"].sum(0)
    g["emb"] = g["embcat"].view(t["emb"].shape)
    rows = g["emb"].view(-1, g["emb"].shape[-1])
    g["C"] = torch.zeros_like(p.C.detach()).index_add(0, Xb.view(-1), rows)
    return g
