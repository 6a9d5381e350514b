# A compile-time benchmark: a small CNN and a transformer block, written with
# plain functions (parameters are arguments), about 300 lines. sporec must
# compile it at -O2 in under 3 s (benchmarks/README.md has the number).
from spore import *

BATCH = 8
IMAGE = 28
CHANNELS = (1, 8, 16, 32)
CLASSES = 10

SEQ = 16
D_MODEL = 64
HEADS = 4
D_HEAD = D_MODEL // HEADS
D_FF = 4 * D_MODEL
VOCAB = 128


# ---------------------------------------------------------------- CNN ----

def conv_block(x, w, b, stride):
    y = conv2d(x, w, stride=stride, padding="same") + b
    return relu(y)


def residual_block(x, w1, b1, w2, b2):
    h = conv_block(x, w1, b1, 1)
    h = conv2d(h, w2, padding="same") + b2
    return relu(h + x)


def downsample(x):
    return max_pool2d(x, 2)


def global_pool(x):
    return mean(x, axis=(1, 2))


def dense(x, w, b):
    return x @ w + b


def batch_stats(x):
    m = mean(x, axis=(0, 1, 2), keepdims=True)
    v = var(x, axis=(0, 1, 2), keepdims=True)
    return m, v


def normalize(x, gamma, beta, eps=1e-5):
    m, v = batch_stats(x)
    return (x - m) * rsqrt(v + eps) * gamma + beta


def cnn_features(x, params):
    ws, bs, gammas, betas = params
    h = x
    for i in (0, 1, 2):
        h = conv_block(h, ws[i], bs[i], 1)
        h = normalize(h, gammas[i], betas[i])
        h = downsample(h) if i < 2 else h
    return global_pool(h)


@export
def cnn_logits(x: f32[BATCH, IMAGE, IMAGE, 1],
               w0: f32[3, 3, 1, 8], b0: f32[8], g0: f32[8], e0: f32[8],
               w1: f32[3, 3, 8, 16], b1: f32[16], g1: f32[16], e1: f32[16],
               w2: f32[3, 3, 16, 32], b2: f32[32], g2: f32[32], e2: f32[32],
               wr1: f32[3, 3, 32, 32], br1: f32[32],
               wr2: f32[3, 3, 32, 32], br2: f32[32],
               wd: f32[32, CLASSES], bd: f32[CLASSES]) -> f32[BATCH, CLASSES]:
    params = ((w0, w1, w2), (b0, b1, b2), (g0, g1, g2), (e0, e1, e2))
    ws, bs, gammas, betas = params
    h = x
    for i in (0, 1, 2):
        h = conv_block(h, ws[i], bs[i], 1)
        h = normalize(h, gammas[i], betas[i])
        if i < 2:
            h = downsample(h)
    h = residual_block(h, wr1, br1, wr2, br2)
    return dense(global_pool(h), wd, bd)


@export
def cnn_loss(x: f32[BATCH, IMAGE, IMAGE, 1], labels: i32[BATCH],
             w0: f32[3, 3, 1, 8], b0: f32[8],
             w1: f32[3, 3, 8, 16], b1: f32[16],
             wd: f32[16, CLASSES], bd: f32[CLASSES]) -> tuple[f32, f32]:
    h = downsample(conv_block(x, w0, b0, 1))
    h = downsample(conv_block(h, w1, b1, 1))
    logits = dense(global_pool(h), wd, bd)
    loss = cross_entropy(logits, labels)
    accuracy = mean((argmax(logits, axis=-1) == labels).astype(f32))
    return loss, accuracy


# -------------------------------------------------------- Transformer ----

def split_heads(x):
    # [SEQ, D_MODEL] -> [HEADS, SEQ, D_HEAD]
    return transpose(x.reshape(SEQ, HEADS, D_HEAD), (1, 0, 2))


def merge_heads(x):
    return transpose(x, (1, 0, 2)).reshape(SEQ, D_MODEL)


def self_attention(x, wq, wk, wv, wo, causal):
    q = split_heads(x @ wq)
    k = split_heads(x @ wk)
    v = split_heads(x @ wv)
    return merge_heads(attention(q, k, v, causal=causal)) @ wo


def feed_forward(x, w1, b1, w2, b2):
    return gelu(x @ w1 + b1) @ w2 + b2


def transformer_block(x, p, causal):
    wq, wk, wv, wo, ln1w, ln1b, w1, b1, w2, b2, ln2w, ln2b = p
    h = x + self_attention(layer_norm(x, ln1w, ln1b), wq, wk, wv, wo, causal)
    return h + feed_forward(layer_norm(h, ln2w, ln2b), w1, b1, w2, b2)


def positional_encoding():
    pos = arange(SEQ).astype(f32)[:, None]
    i = arange(D_MODEL // 2).astype(f32)[None, :]
    angle = pos / 10000.0 ** (2.0 * i / D_MODEL)
    return concatenate((sin(angle), cos(angle)), axis=-1)


def embed(tokens, table):
    return table[tokens] * (D_MODEL ** 0.5) + positional_encoding()


@export
def transformer(tokens: i32[SEQ], table: f32[VOCAB, D_MODEL],
                wq: f32[D_MODEL, D_MODEL], wk: f32[D_MODEL, D_MODEL],
                wv: f32[D_MODEL, D_MODEL], wo: f32[D_MODEL, D_MODEL],
                ln1w: f32[D_MODEL], ln1b: f32[D_MODEL],
                w1: f32[D_MODEL, D_FF], b1: f32[D_FF],
                w2: f32[D_FF, D_MODEL], b2: f32[D_MODEL],
                ln2w: f32[D_MODEL], ln2b: f32[D_MODEL]) -> f32[SEQ, VOCAB]:
    p = (wq, wk, wv, wo, ln1w, ln1b, w1, b1, w2, b2, ln2w, ln2b)
    h = embed(tokens, table)
    for layer in (0, 1):
        h = transformer_block(h, p, True)
    return log_softmax(h @ table.T, axis=-1)


@export
def transformer_loss(tokens: i32[SEQ], targets: i32[SEQ],
                     table: f32[VOCAB, D_MODEL],
                     wq: f32[D_MODEL, D_MODEL], wk: f32[D_MODEL, D_MODEL],
                     wv: f32[D_MODEL, D_MODEL], wo: f32[D_MODEL, D_MODEL],
                     ln1w: f32[D_MODEL], ln1b: f32[D_MODEL],
                     w1: f32[D_MODEL, D_FF], b1: f32[D_FF],
                     w2: f32[D_FF, D_MODEL], b2: f32[D_MODEL],
                     ln2w: f32[D_MODEL], ln2b: f32[D_MODEL]) -> f32:
    p = (wq, wk, wv, wo, ln1w, ln1b, w1, b1, w2, b2, ln2w, ln2b)
    h = transformer_block(embed(tokens, table), p, True)
    return cross_entropy(h @ table.T, targets)


# ------------------------------------------------------ Sampling, misc ----

def top_k_mask(logits, k: int):
    # Keeps the k largest logits per row (ties keep more).
    sorted_desc = logits
    threshold = max(logits, axis=-1, keepdims=True)
    for step in range(k - 1):
        below = where(logits < threshold, logits, -1e30)
        threshold = max(below, axis=-1, keepdims=True)
    return where(logits >= threshold, logits, -1e30)


def sample(key, logits, temperature):
    # Gumbel-max sampling.
    u = uniform(key, logits.shape, minval=1e-6, maxval=1.0)
    return argmax(logits / temperature - log(-log(u)), axis=-1)


@export
def generate(seed: i64, logits: f32[4, VOCAB], temperature: f32) -> i64[4]:
    key = rng(seed)
    masked = top_k_mask(logits, 5)
    return sample(key, masked, temperature)


def newton_sqrt(x, iterations: int):
    y = x * 0.5 + 0.5
    for i in range(iterations):
        y = 0.5 * (y + x / y)
    return y


def bisect(f, lo, hi, steps):
    for i in range(steps):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0.0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@export
def numerics(x: f32[16], c: f32) -> tuple[f32[16], f32, f32[16]]:
    root = bisect(lambda t: t * t * t - c, 0.0, 10.0, 40)
    smooth = x
    n = 0
    while n < 3:
        smooth = 0.25 * roll_left(smooth) + 0.5 * smooth + 0.25 * roll_right(smooth)
        n += 1
    return newton_sqrt(abs(x) + 1.0, 6), root, smooth


def roll_left(x):
    return concatenate((x[1:], x[:1]))


def roll_right(x):
    return concatenate((x[-1:], x[:-1]))


@export
def statistics(x: f32[64, 32]) -> tuple[f32[32], f32[32], f32[32], i64[32], f32[64]]:
    centered = x - mean(x, axis=0)
    cov = centered.T @ centered / 63.0
    corr = cov / outer(sqrt(diag(cov)), sqrt(diag(cov)))
    scores = softmax(x, axis=-1)
    ent = -sum(scores * log(scores + 1e-9), axis=-1)
    return (std(x, axis=0), logsumexp(x, axis=0), diag(corr),
            argmax(x, axis=0), ent)


@export
def image_ops(img: f32[2, 32, 32, 3]) -> tuple[f32[2, 16, 16, 3], f32[2, 32, 32, 3], f32[2, 30, 30, 3]]:
    pooled = avg_pool2d(img, 2)
    flipped = flip(img, axis=2)
    blur = ones((3, 3, 1, 3)) / 9.0
    blurred = conv2d(img, blur, groups=3)
    return pooled, flipped, blurred


# ------------------------------------------------- Recurrence, optimiser ----

def lstm_cell(x, h, c, wx, wh, b):
    gates = x @ wx + h @ wh + b
    i, f, g, o = split(gates, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    return h, c


@export
def lstm(xs: f32[SEQ, 4, 8], wx: f32[8, 64], wh: f32[16, 64],
         b: f32[64]) -> tuple[f32[4, 16], f32[4, 16]]:
    h = zeros((4, 16))
    c = zeros((4, 16))
    for t in range(SEQ):
        h, c = lstm_cell(xs[t], h, c, wx, wh, b)
    return h, c


def adam_update(p, g, m, v, step, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1.0 - b1) * g
    v = b2 * v + (1.0 - b2) * g * g
    m_hat = m / (1.0 - b1 ** step)
    v_hat = v / (1.0 - b2 ** step)
    return p - lr * m_hat / (sqrt(v_hat) + eps), m, v


@export
def adam(p: f32[D_MODEL, D_FF], g: f32[D_MODEL, D_FF], m: f32[D_MODEL, D_FF],
         v: f32[D_MODEL, D_FF], step: f32) -> tuple[f32[D_MODEL, D_FF], f32[D_MODEL, D_FF], f32[D_MODEL, D_FF]]:
    clipped = clip(g, -1.0, 1.0)
    return adam_update(p, clipped, m, v, step)


def sgd_momentum(p, g, buf, lr=0.1, momentum=0.9):
    buf = momentum * buf + g
    return p - lr * buf, buf


@export
def momentum_steps(p: f32[32], target: f32[32]) -> f32[32]:
    buf = zeros_like(p)
    for i in range(20):
        g = 2.0 * (p - target)
        p, buf = sgd_momentum(p, g, buf)
    return p
