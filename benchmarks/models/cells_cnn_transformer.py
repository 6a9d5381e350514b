# The CNN and the GPT-style transformer of test/e2e/cells/, written with
# Cells, in one module with four entry points: the compile-time benchmark
# of language.md §6 (two module-level instances, 47 Parameters).
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


gpt = GPT(V, D, H)

class CNN(Cell):
    def __init__(self, classes: int):
        self.conv1 = Conv2d(1, 4, 3, padding=1)
        self.conv2 = Conv2d(4, 8, 3, stride=2)
        self.norm = LayerNorm(8)
        self.head = Sequential(Dense(32, 16), relu, Dense(16, classes))

    def __call__(self, x):
        h = max_pool2d(relu(self.conv1(x)), 2)   # [n, 6, 6, 4]
        h = self.norm(relu(self.conv2(h)))       # [n, 2, 2, 8]
        return log_softmax(self.head(reshape(h, (h.shape[0], 32))))


cnn = CNN(10)


@export
def logits(ids: i32[T]) -> f32[T, V]:
    return gpt(ids)


@export
def lm_loss(ids: i32[T], targets: i32[T]) -> f32:
    return cross_entropy(gpt(ids), targets)


@export
def classify(x: f32[2, 12, 12, 1]) -> f32[2, 10]:
    return cnn(x)


@export
def cnn_loss(x: f32[2, 12, 12, 1], labels: i32[2]) -> f32:
    return -mean(sum(one_hot(labels, 10) * cnn(x), axis=-1))
