# The prelude: primitives of language.md §5 that are compositions of other
# primitives, written in the model language itself. sporec compiles them
# with every module (a name the module defines shadows them); they are
# specialised and inlined like any function, and differentiable through the
# primitives they use.


def silu(x):
    return x * sigmoid(x)


def gelu(x, approximate=False):
    if approximate:
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + erf(x * 0.7071067811865476))


def softplus(x):
    # log(1 + e^x) without overflow for large x.
    return log1p(exp(-abs(x))) + maximum(x, 0.0)


def clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


def sign(x):
    # NaN stays NaN, as in NumPy.
    return where(x == x, (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype), x)


def isnan(x):
    return x != x


def multigammaln(a, d):
    # log of the multivariate gamma function of dimension d (an int known
    # at compile time), as jax.scipy.special.multigammaln: the normaliser
    # of Wishart distributions.
    total = lgamma(a)
    for j in range(1, d):
        total = total + lgamma(a - 0.5 * j)
    return total + d * (d - 1) * 0.28618247146235004  # log(pi) / 4


def var(x, axis=None, keepdims=False):
    d = x - mean(x, axis=axis, keepdims=True)
    return mean(d * d, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    # Shifted by the maximum where it is finite and by 0 elsewhere, as in
    # scipy and jax.nn: a row holding +inf gives +inf, an all -inf row -inf.
    if x.size == 0:
        # Over an empty axis: log(0) = -inf, as scipy, jax.nn and PyTorch
        # give (max has no identity to shift by).
        return log(sum(exp(x), axis=axis, keepdims=keepdims))
    m = max(x, axis=axis, keepdims=True)
    m = where(m - m == 0.0, m, zeros_like(m))
    top = max(x, axis=axis, keepdims=keepdims)
    top = where(top - top == 0.0, top, zeros_like(top))
    return log(sum(exp(x - m), axis=axis, keepdims=keepdims)) + top


def mse(a, b):
    d = a - b
    return mean(d * d)


def layer_norm(x, weight, bias, eps=1e-5):
    d = x - mean(x, axis=-1, keepdims=True)
    return d * rsqrt(mean(d * d, axis=-1, keepdims=True) + eps) * weight + bias


def rms_norm(x, weight, eps=1e-6):
    return x * rsqrt(mean(x * x, axis=-1, keepdims=True) + eps) * weight


def expand_dims(x, axis):
    if axis < 0:
        axis = axis + x.ndim + 1
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None):
    if axis != None and axis < 0:
        axis = axis + x.ndim
    shape = ()
    k = 0
    for d in x.shape:
        if d != 1 or (axis != None and k != axis):
            shape = shape + (d,)
        k = k + 1
    return x.reshape(shape)


def zeros_like(x):
    return zeros(x.shape, x.dtype)


def ones_like(x):
    return ones(x.shape, x.dtype)


def outer(a, b):
    return a.reshape(-1)[:, None] * b.reshape(-1)[None, :]


def dot(a, b):
    if a.ndim == 1 and b.ndim == 1:
        return sum(a * b)
    return matmul(a, b)


def stack(xs, axis=0):
    parts = ()
    for x in xs:
        parts = parts + (expand_dims(x, axis),)
    return concatenate(parts, axis=axis)


def repeat(x, repeats, axis):
    if axis < 0:
        axis = axis + x.ndim
    wide = expand_dims(x, axis + 1)
    shape = x.shape[:axis + 1] + (repeats,) + x.shape[axis + 1:]
    merged = x.shape[:axis] + (x.shape[axis] * repeats,) + x.shape[axis + 1:]
    return broadcast_to(wide, shape).reshape(merged)


def tile(x, reps):
    if x.ndim == 0:
        return broadcast_to(x, reps)
    shape = ()
    merged = ()
    k = 0
    for d in x.shape:
        shape = shape + (reps[k], d)
        merged = merged + (reps[k] * d,)
        k = k + 1
    wide = x.reshape(_interleave_ones(x.shape))
    return broadcast_to(wide, shape).reshape(merged)


def _interleave_ones(shape):
    out = ()
    for d in shape:
        out = out + (1, d)
    return out


def tril(x, k=0):
    n = x.shape[-2]
    m = x.shape[-1]
    keep = arange(n)[:, None] >= arange(m)[None, :] - k
    return where(keep, x, 0)


def triu(x, k=0):
    n = x.shape[-2]
    m = x.shape[-1]
    keep = arange(n)[:, None] <= arange(m)[None, :] - k
    return where(keep, x, 0)


def one_hot(indices, n, dtype=f32):
    # A label outside [0, n) fails the call (SPORE_ERROR_VALUE), as in
    # PyTorch; --no-runtime-checks gives JAX's row of zeros instead.
    indices = _check_labels(indices, n)
    return (indices[..., None] == arange(n)).astype(dtype)


def cross_entropy(logits, labels):
    # Integer labels: the batch mean of -log p[label]; probability labels:
    # the batch mean of -sum(labels * log p).
    logp = log_softmax(logits, axis=-1)
    if labels.ndim == logits.ndim:
        return -mean(sum(labels * logp, axis=-1))
    return -mean(sum(one_hot(labels, logits.shape[-1], logits.dtype) * logp, axis=-1))


def argmax(x, axis=None):
    return _arg_extreme(x, axis, True)


def argmin(x, axis=None):
    return _arg_extreme(x, axis, False)


def _arg_extreme(x, axis, largest):
    # The first index where x reaches its maximum (minimum) along the axis,
    # or holds a NaN (NumPy's argmax and argmin).
    if axis == None:
        return _arg_extreme(x.reshape(-1), 0, largest)
    if axis < 0:
        axis = axis + x.ndim
    n = x.shape[axis]
    index = arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
    if largest:
        best = max(x, axis=axis, keepdims=True)
    else:
        best = min(x, axis=axis, keepdims=True)
    # A NaN wins, as in NumPy: the first NaN's index when there is one.
    first_nan = min(where(x != x, index, n), axis=axis)
    first_best = min(where(x == best, index, n), axis=axis)
    return where(first_nan < n, first_nan, first_best)


def any(x, axis=None, keepdims=False):
    # Counts, so that an empty axis gives False (and True for all), as in
    # NumPy; max and min have no identity there.
    return sum((x != 0).astype(i64), axis=axis, keepdims=keepdims) > 0


def all(x, axis=None, keepdims=False):
    return sum((x == 0).astype(i64), axis=axis, keepdims=keepdims) == 0


def attention(q, k, v, causal=False):
    # softmax(q k^T / sqrt(d)) v over the last two axes; a causal mask hides
    # later keys.
    scores = q @ _swap_last(k) * (1.0 / q.shape[-1] ** 0.5)
    if causal:
        n = scores.shape[-2]
        m = scores.shape[-1]
        hidden = arange(n)[:, None] < arange(m)[None, :]
        scores = where(hidden, -1e30, scores)
    return softmax(scores, axis=-1) @ v


def _swap_last(x):
    perm = ()
    k = 0
    for d in x.shape:
        perm = perm + (k,)
        k = k + 1
    return transpose(x, perm[:-2] + (x.ndim - 1, x.ndim - 2))


def diag(x, k=0):
    # A 1-D x gives the square matrix with x on diagonal k; a 2-D x gives
    # its diagonal k.
    if x.ndim == 1:
        size = x.shape[0] + (k if k > 0 else -k)
        padded = pad(x, (0, size - x.shape[0]))
        if k >= 0:
            return eye(size, size, k, x.dtype) * padded[:, None]
        return eye(size, size, k, x.dtype) * padded[None, :]
    n = x.shape[0]
    m = x.shape[1]
    if k >= 0:
        count = _min_int(n, m - k)
        return sum(x * eye(n, m, k, x.dtype), axis=1)[:count]
    count = _min_int(n + k, m)
    return sum(x * eye(n, m, k, x.dtype), axis=0)[:count]


def _min_int(a, b):
    if a < b:
        return a
    return b


# Random numbers: counter-based (Philox-4x32-10 in spore.random), so every
# target draws the same values for the same key.

def uniform(key, shape, dtype=f32, minval=0.0, maxval=1.0):
    return (minval + (maxval - minval) * random_uniform(key, shape)).astype(dtype)


def normal(key, shape, dtype=f32):
    # Box-Muller on two independent uniform draws; 1 - u is in (0, 1].
    k1, k2 = split(key)
    u1 = 1.0 - random_uniform(k1, shape)
    u2 = random_uniform(k2, shape)
    return (sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2)).astype(dtype)


def bernoulli(key, p, shape):
    return random_uniform(key, shape) < p


def randint(key, shape, minval, maxval, dtype=i32):
    return (floor(random_uniform(key, shape) * (maxval - minval)) + minval).astype(dtype)


def dropout(key, x, rate):
    # Zeroes elements with probability `rate` and scales the others by
    # 1 / (1 - rate), so the expectation is unchanged.
    if rate == 0.0:
        return x
    keep = bernoulli(key, 1.0 - rate, x.shape)
    return where(keep, x / (1.0 - rate), 0.0)


# Built-in Cells (language.md §6). Their Parameters are saved under these
# attribute names: `net.fc1.weight`, `net.fc1.bias`.

class Dense(Cell):
    def __init__(self, din: int, dout: int, bias: bool = True):
        self.weight = Parameter(zeros((din, dout)), init=xavier_uniform)
        if bias:
            self.bias = Parameter(zeros((dout,)), init=zeros)
        self.has_bias = bias

    def __call__(self, x):
        din, dout = self.weight.shape
        assert x.shape[-1] == din, ("Dense(" + str(din) + ", " + str(dout) +
                                    ") expects inputs with " + str(din) +
                                    " features, got " + str(x.shape[-1]))
        y = x @ self.weight
        if self.has_bias:
            y = y + self.bias
        return y


class Conv2d(Cell):
    # NHWC activations, HWIO weights.
    def __init__(self, cin: int, cout: int, k: int, stride: int = 1,
                 padding: int = 0):
        self.weight = Parameter(zeros((k, k, cin, cout)), init=xavier_uniform)
        self.bias = Parameter(zeros((cout,)), init=zeros)
        self.stride = stride
        self.padding = padding

    def __call__(self, x):
        k, _, cin, cout = self.weight.shape
        assert x.ndim == 4 and x.shape[-1] == cin, (
            "Conv2d(" + str(cin) + ", " + str(cout) + ", " + str(k) +
            ") expects NHWC inputs with " + str(cin) + " channels, got " +
            str(x.shape))
        return conv2d(x, self.weight, stride=self.stride,
                      padding=self.padding) + self.bias


class LayerNorm(Cell):
    def __init__(self, d: int, eps: float = 1e-5):
        self.weight = Parameter(ones((d,)), init=ones)
        self.bias = Parameter(zeros((d,)), init=zeros)
        self.eps = eps

    def __call__(self, x):
        return layer_norm(x, self.weight, self.bias, self.eps)


class Embedding(Cell):
    def __init__(self, n: int, d: int):
        self.weight = Parameter(zeros((n, d)), init=normal(1.0))

    def __call__(self, ids):
        return self.weight[ids]


class _BatchNorm(Cell):
    # Normalises each channel (the last axis: NHWC images, [N, C]
    # features) over the other axes. Training (training=True): the batch's
    # mean and biased variance normalise, and the running statistics move
    # towards them (running_var towards the unbiased variance), as
    # torch.nn.BatchNorm does; evaluation: the running statistics
    # normalise. The running statistics are state, not trainable.
    def __init__(self, c: int, eps: float = 1e-5, momentum: float = 0.1):
        self.weight = Parameter(ones((c,)), init=ones)
        self.bias = Parameter(zeros((c,)), init=zeros)
        self.running_mean = Parameter(zeros((c,)), trainable=False)
        self.running_var = Parameter(ones((c,)), trainable=False)
        self.eps = eps
        self.momentum = momentum

    def __call__(self, x, training=False):
        c = self.weight.shape[0]
        assert x.shape[-1] == c, (
            "BatchNorm(" + str(c) + ") expects " + str(c) +
            " channels on the last axis, got " + str(x.shape))
        if training:
            axes = ()
            n = 1
            k = 0
            for d in x.shape[:-1]:
                axes = axes + (k,)
                n = n * d
                k = k + 1
            mu = mean(x, axis=axes)
            sigma2 = var(x, axis=axes)
            m = self.momentum
            unbiased = n / (n - 1.0) if n > 1 else 1.0
            assign(self.running_mean, (1.0 - m) * self.running_mean + m * mu)
            assign(self.running_var, (1.0 - m) * self.running_var +
                   m * sigma2 * unbiased)
        else:
            mu = self.running_mean
            sigma2 = self.running_var
        return (x - mu) * rsqrt(sigma2 + self.eps) * self.weight + self.bias


class BatchNorm1d(_BatchNorm):
    # [N, C] features.
    pass


class BatchNorm2d(_BatchNorm):
    # NHWC images.
    pass


class Dropout(Cell):
    # Without a key (inference) the identity; with a key, dropout(key, x,
    # rate).
    def __init__(self, rate: float):
        self.rate = rate

    def __call__(self, x, key=None):
        if key is None:
            return x
        return dropout(key, x, self.rate)


# Learning-rate schedules (training.md §1): functions of the step counter
# (the number of updates made before this one, an i64) that give the
# learning rate as an f64, as PyTorch's schedulers compute it in doubles.

def constant(lr):
    return lambda step: full((), lr, f64)


def step_decay(lr, step_size, gamma=0.1):
    # torch.optim.lr_scheduler.StepLR stepped once per update.
    return lambda step: lr * full((), gamma, f64) ** astype(step // step_size, f64)


def exponential_decay(lr, decay_rate, transition_steps=1, staircase=False):
    # lr * decay_rate ** (step / transition_steps): ExponentialLR for
    # transition_steps=1; whole transitions only with staircase.
    def schedule(step):
        p = astype(step, f64) / transition_steps
        if staircase:
            p = floor(p)
        return lr * full((), decay_rate, f64) ** p
    return schedule


def linear_warmup(lr, warmup, start_factor=0.0):
    # From lr * start_factor to lr over `warmup` updates, then lr
    # (LinearLR(start_factor, total_iters=warmup)).
    def schedule(step):
        t = minimum(astype(step, f64), warmup * 1.0) / warmup
        return lr * (start_factor + (1.0 - start_factor) * t)
    return schedule


def warmup_cosine(lr, warmup, steps, final=0.0):
    # Linear from 0 to lr over `warmup` updates, then half a cosine down to
    # `final` at `steps` updates, and `final` after.
    rise = warmup if warmup > 0 else 1
    fall = steps - warmup if steps > warmup else 1

    def schedule(step):
        s = astype(step, f64)
        t = minimum(maximum(s - warmup, 0.0), fall * 1.0)
        falling = final + (lr - final) * 0.5 * (
            1.0 + cos(3.141592653589793 * t / fall))
        return where(s < warmup, lr * s / rise, falling)
    return schedule


def _schedule(lr):
    if callable(lr):
        return lr
    return constant(lr)


# Gradient clipping, on a tuple of gradients (or one), as torch.nn.utils
# clips them.

def clip_by_global_norm(grads, max_norm):
    # clip_grad_norm_: scaled by max_norm / (norm + 1e-6) when above it.
    if not _is_tuple(grads):
        return clip_by_global_norm((grads,), max_norm)[0]
    total = 0.0
    for g in grads:
        total = total + sum(astype(g, f32) * astype(g, f32))
    scale = minimum(max_norm / (sqrt(total) + 1e-6), 1.0)
    out = ()
    for g in grads:
        out = out + (g * astype(scale, g.dtype),)
    return out


def clip_by_value(grads, clip_value):
    # clip_grad_value_: each element into [-clip_value, clip_value].
    if not _is_tuple(grads):
        return clip(grads, -clip_value, clip_value)
    out = ()
    for g in grads:
        out = out + (clip(g, -clip_value, clip_value),)
    return out


# Optimizers (training.md §1): each updates the Parameters of the Cell it
# was built on with PyTorch's formulas and defaults. Its moments and step
# counter are state: `opt.step`, `opt.m.net.fc1.weight`, ...

def _decayed(g, p, weight_decay):
    if weight_decay != 0.0:
        return g + weight_decay * p
    return g


def _scalar(x, dtype):
    return astype(x, dtype)


def _check_grads(params, grads):
    assert _is_tuple(grads) and len(grads) == len(params), (
        "update takes a gradient per trainable Parameter of the Cell (" +
        str(len(params)) + "), as value_and_grad(..., wrt=net.parameters) "
        "gives them")
    return grads


class SGD(Cell):
    def __init__(self, net, lr, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        assert not nesterov or (momentum > 0.0 and dampening == 0.0), (
            "SGD: nesterov needs a momentum and no dampening")
        self.net = net
        self.lr = _schedule(lr)
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.step = Parameter(zeros((), dtype=i64))
        if momentum != 0.0:
            self.m = _state_like(net, 0.0)

    def update(self, grads):
        _check_grads(self.net.parameters, grads)
        lr = astype(self.lr(self.step), f64)
        first = self.step == 0
        new_p = ()
        new_m = ()
        k = 0
        for p in self.net.parameters:
            g = _decayed(grads[k], p, self.weight_decay)
            if self.momentum != 0.0:
                m = self.m.parameters[k]
                buf = where(first, g, self.momentum * m + (1.0 - self.dampening) * g)
                new_m = new_m + (buf,)
                if self.nesterov:
                    g = g + self.momentum * buf
                else:
                    g = buf
            new_p = new_p + (p - _scalar(lr, p.dtype) * g,)
            k = k + 1
        assign(self.net, new_p)
        if self.momentum != 0.0:
            assign(self.m, new_m)
        assign(self.step, self.step + 1)
        return None


class Momentum(SGD):
    # MindSpore's Momentum: SGD with momentum (the same update as
    # torch.optim.SGD's, whose first step also takes the gradient).
    def __init__(self, net, lr, momentum: float = 0.9,
                 weight_decay: float = 0.0, use_nesterov: bool = False):
        self.net = net
        self.lr = _schedule(lr)
        self.momentum = momentum
        self.dampening = 0.0
        self.weight_decay = weight_decay
        self.nesterov = use_nesterov
        self.step = Parameter(zeros((), dtype=i64))
        self.m = _state_like(net, 0.0)


class Adam(Cell):
    def __init__(self, net, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False):
        self.net = net
        self.lr = _schedule(lr)
        self.beta1 = betas[0]
        self.beta2 = betas[1]
        self.eps = eps
        self.weight_decay = weight_decay
        self.decoupled = decoupled
        self.step = Parameter(zeros((), dtype=i64))
        self.m = _state_like(net, 0.0)
        self.v = _state_like(net, 0.0)

    def update(self, grads):
        _check_grads(self.net.parameters, grads)
        lr = astype(self.lr(self.step), f64)
        t = astype(self.step + 1, f64)
        step_size = lr / (1.0 - self.beta1 ** t)
        bc2_sqrt = sqrt(1.0 - self.beta2 ** t)
        new_p = ()
        new_m = ()
        new_v = ()
        k = 0
        for p in self.net.parameters:
            g = grads[k]
            if self.decoupled:
                if self.weight_decay != 0.0:
                    p = p * _scalar(1.0 - lr * self.weight_decay, p.dtype)
            else:
                g = _decayed(g, p, self.weight_decay)
            m = self.beta1 * self.m.parameters[k] + (1.0 - self.beta1) * g
            v = self.beta2 * self.v.parameters[k] + (1.0 - self.beta2) * g * g
            denom = sqrt(v) / _scalar(bc2_sqrt, p.dtype) + self.eps
            new_p = new_p + (p - _scalar(step_size, p.dtype) * (m / denom),)
            new_m = new_m + (m,)
            new_v = new_v + (v,)
            k = k + 1
        assign(self.net, new_p)
        assign(self.m, new_m)
        assign(self.v, new_v)
        assign(self.step, self.step + 1)
        return None


class AdamW(Adam):
    # Adam with decoupled weight decay (torch.optim.AdamW): the same
    # update, another default decay.
    def __init__(self, net, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        self.net = net
        self.lr = _schedule(lr)
        self.beta1 = betas[0]
        self.beta2 = betas[1]
        self.eps = eps
        self.weight_decay = weight_decay
        self.decoupled = True
        self.step = Parameter(zeros((), dtype=i64))
        self.m = _state_like(net, 0.0)
        self.v = _state_like(net, 0.0)


class RMSProp(Cell):
    def __init__(self, net, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False):
        self.net = net
        self.lr = _schedule(lr)
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered
        self.step = Parameter(zeros((), dtype=i64))
        self.v = _state_like(net, 0.0)
        if momentum != 0.0:
            self.m = _state_like(net, 0.0)
        if centered:
            self.g = _state_like(net, 0.0)

    def update(self, grads):
        _check_grads(self.net.parameters, grads)
        lr = astype(self.lr(self.step), f64)
        new_p = ()
        new_v = ()
        new_m = ()
        new_g = ()
        k = 0
        for p in self.net.parameters:
            g = _decayed(grads[k], p, self.weight_decay)
            v = self.alpha * self.v.parameters[k] + (1.0 - self.alpha) * g * g
            new_v = new_v + (v,)
            if self.centered:
                ga = self.alpha * self.g.parameters[k] + (1.0 - self.alpha) * g
                new_g = new_g + (ga,)
                avg = sqrt(v - ga * ga) + self.eps
            else:
                avg = sqrt(v) + self.eps
            if self.momentum != 0.0:
                buf = self.momentum * self.m.parameters[k] + g / avg
                new_m = new_m + (buf,)
                new_p = new_p + (p - _scalar(lr, p.dtype) * buf,)
            else:
                new_p = new_p + (p - _scalar(lr, p.dtype) * (g / avg),)
            k = k + 1
        assign(self.net, new_p)
        assign(self.v, new_v)
        if self.momentum != 0.0:
            assign(self.m, new_m)
        if self.centered:
            assign(self.g, new_g)
        assign(self.step, self.step + 1)
        return None


class Adagrad(Cell):
    def __init__(self, net, lr=1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        self.net = net
        self.lr = _schedule(lr)
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.eps = eps
        self.step = Parameter(zeros((), dtype=i64))
        self.sum = _state_like(net, initial_accumulator_value)

    def update(self, grads):
        _check_grads(self.net.parameters, grads)
        lr = astype(self.lr(self.step), f64)
        clr = lr / (1.0 + astype(self.step, f64) * self.lr_decay)
        new_p = ()
        new_s = ()
        k = 0
        for p in self.net.parameters:
            g = _decayed(grads[k], p, self.weight_decay)
            s = self.sum.parameters[k] + g * g
            new_s = new_s + (s,)
            new_p = new_p + (p - _scalar(clr, p.dtype) * (g / (sqrt(s) + self.eps)),)
            k = k + 1
        assign(self.net, new_p)
        assign(self.sum, new_s)
        assign(self.step, self.step + 1)
        return None
