# A GPT-style transformer written with Cells: token and position
# embeddings, two pre-norm blocks (causal multi-head attention and a GELU
# feed-forward network, with Dropout that is the identity without a key),
# a final LayerNorm and a bias-free output projection.
from spore import *

V = 50   # vocabulary
T = 8    # sequence length
D = 32   # model width
H = 4    # heads


class MultiHeadAttention(Cell):
    def __init__(self, d: int, heads: int):
        self.q = Dense(d, d)
        self.k = Dense(d, d)
        self.v = Dense(d, d)
        self.o = Dense(d, d)
        self.heads = heads

    def split(self, x):
        # [t, d] -> [heads, t, d / heads]
        t, d = x.shape
        return transpose(reshape(x, (t, self.heads, d // self.heads)), (1, 0, 2))

    def __call__(self, x):
        t, d = x.shape
        y = attention(self.split(self.q(x)), self.split(self.k(x)),
                      self.split(self.v(x)), causal=True)
        return self.o(reshape(transpose(y, (1, 0, 2)), (t, d)))


class Block(Cell):
    def __init__(self, d: int, heads: int, ffn: int):
        self.ln1 = LayerNorm(d)
        self.attn = MultiHeadAttention(d, heads)
        self.ln2 = LayerNorm(d)
        self.mlp = Sequential(Dense(d, ffn), gelu, Dense(ffn, d))
        self.drop = Dropout(0.1)

    def __call__(self, x):
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.drop(self.mlp(self.ln2(x)))


class GPT(Cell):
    def __init__(self, vocab: int, d: int, heads: int):
        self.tok = Embedding(vocab, d)
        self.pos = Parameter(zeros((T, d)), init=normal(0.02))
        self.blocks = (Block(d, heads, 4 * d), Block(d, heads, 4 * d))
        self.ln = LayerNorm(d)
        self.head = Dense(d, vocab, bias=False)

    def __call__(self, ids):
        x = self.tok(ids) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


net = GPT(V, D, H)


@export
def logits(ids: i32[T]) -> f32[T, V]:
    return net(ids)


@export
def loss(ids: i32[T], targets: i32[T]) -> f32:
    return cross_entropy(net(ids), targets)
