"""The PyTorch adapter: marked-layer gradients are the numpy DFA update, any core, state."""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from photonic_dfa.architecture.config import ChipConfig  # noqa: E402
from photonic_dfa.architecture.digital import DigitalCore  # noqa: E402
from photonic_dfa.torch import DFA, DFALayer, make_core  # noqa: E402
from photonic_dfa.training.datasets import synthetic_mnist  # noqa: E402
from photonic_dfa.training.feedback import DFA as NumpyDFA  # noqa: E402
from photonic_dfa.training.feedback import random_feedback_matrices  # noqa: E402
from photonic_dfa.training.mlp import MLP  # noqa: E402

SIZES = (30, 24, 16, 10)


class MLPNet(nn.Module):
    """Linear layers with a marker on each hidden layer, before or after its ReLU."""

    def __init__(self, sizes, core="digital", after_relu=False, gate="relu", **dfa_kw):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.marks = nn.ModuleList(DFALayer(gate) for _ in sizes[1:-1])
        self.after_relu = after_relu
        self.dfa = DFA(list(self.marks), core, **dfa_kw)

    def forward(self, x):
        for fc, mark in zip(self.fcs[:-1], self.marks):
            a = fc(x)
            x = mark(torch.relu(a)) if self.after_relu else torch.relu(mark(a))
        return self.dfa(self.fcs[-1](x))


def _net_from(mlp: MLP, **kw) -> MLPNet:
    net = MLPNet(mlp.sizes, **kw).double()
    with torch.no_grad():
        for fc, w, b in zip(net.fcs, mlp.weights, mlp.biases):
            fc.weight.copy_(torch.from_numpy(w.T))
            fc.bias.copy_(torch.from_numpy(b))
    return net


def _data(seed=0, n=12, sizes=SIZES):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], n)


def _step(net, x, y):
    net.zero_grad()
    loss = nn.functional.cross_entropy(net(torch.as_tensor(x)), torch.as_tensor(y))
    loss.backward()
    return [fc.weight.grad.numpy().T.copy() for fc in net.fcs], \
        [fc.bias.grad.numpy().copy() for fc in net.fcs]


@pytest.mark.parametrize("after_relu", [False, True])
def test_marked_layer_gradient_is_the_numpy_dfa_update(after_relu) -> None:
    rng = np.random.default_rng(3)
    mlp = MLP.init(SIZES, rng, "torch", np.float64)
    mats = random_feedback_matrices(SIZES[-1], SIZES[1:-1], rng, np.float64)
    x, y = _data()
    _, gw, gb = mlp.loss_and_grads(x, y, NumpyDFA(mats))
    net = _net_from(mlp, after_relu=after_relu, feedback=mats)
    tw, tb = _step(net, x, y)
    for l in range(len(gw)):
        assert np.max(np.abs(tw[l] - gw[l])) < 1e-10
        assert np.max(np.abs(tb[l] - gb[l])) < 1e-10
        assert np.max(np.abs(gw[l])) > 1e-3  # a real update, not two zeros


def test_feedback_drawn_from_a_generator_matches_the_numpy_draw() -> None:
    mlp = MLP.init(SIZES, 0, "torch", np.float64)
    net = _net_from(mlp, rng=np.random.default_rng(7))
    _step(net, *_data())
    want = random_feedback_matrices(SIZES[-1], SIZES[1:-1], np.random.default_rng(7), np.float64)
    for got, ref in zip(net.dfa.feedback_matrices(), want):
        np.testing.assert_array_equal(got, ref)


def test_one_core_product_per_batch_and_gradient_stays_inside_blocks() -> None:
    core = DigitalCore()
    m1, m2 = DFALayer(), DFALayer()
    fc1a, fc1b, fc2, fc3 = (nn.Linear(8, 6).double(), nn.Linear(6, 5).double(),
                            nn.Linear(5, 4).double(), nn.Linear(4, 3).double())
    dfa = DFA([m1, m2], core, rng=1)

    def run(x):
        a1 = fc1b(torch.relu(fc1a(x)))  # a block of two layers under marker 1
        a1.retain_grad()
        h = torch.relu(m1(a1))
        return dfa(fc3(torch.relu(m2(fc2(h))))), a1

    x = torch.randn(5, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    out, a1 = run(x)
    nn.functional.cross_entropy(out, torch.tensor([0, 1, 2, 0, 1])).backward()
    assert core.calls == 1
    # fc1a's gradient is marker 1's feedback backpropagated through fc1b, and only that.
    fc1a.zero_grad()
    a1_again = fc1b(torch.relu(fc1a(x)))
    (a1_again * a1.grad).sum().backward()
    got = fc1a.weight.grad.clone()
    fc1a.zero_grad()
    fc1b.zero_grad()
    out, _ = run(x)
    nn.functional.cross_entropy(out, torch.tensor([0, 1, 2, 0, 1])).backward()
    torch.testing.assert_close(fc1a.weight.grad, got, rtol=0, atol=1e-14)


def _signal_grads(net, x, y) -> list[np.ndarray]:
    """Gradients reaching every Linear's output (marked signals, then the output error e)."""
    sig = []

    def keep(module, inputs, out) -> None:
        out.retain_grad()
        sig.append(out)

    hooks = [fc.register_forward_hook(keep) for fc in net.fcs]
    _step(net, x, y)
    for h in hooks:
        h.remove()
    return [s.grad.numpy() for s in sig]


def test_a_derivative_given_at_the_marker_equals_autograd_through_the_activation() -> None:
    """tanh: marker before it with f' = 1 - tanh^2, or after it ungated; same gradients."""
    grads = []
    for before in (True, False):
        torch.manual_seed(0)
        fc1, fc2 = nn.Linear(6, 5).double(), nn.Linear(5, 3).double()
        mark = DFALayer((lambda a: 1 - torch.tanh(a) ** 2) if before else None)
        dfa = DFA([mark], make_core("digital"), rng=2)
        a = fc1(torch.linspace(-1, 1, 24, dtype=torch.float64).reshape(4, 6))
        h = torch.tanh(mark(a)) if before else mark(torch.tanh(a))
        nn.functional.cross_entropy(dfa(fc2(h)), torch.tensor([0, 1, 2, 1])).backward()
        grads.append(fc1.weight.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=1e-15)


def test_gaussian_core_has_the_authors_noise_statistics() -> None:
    sizes = (40, 400, 400, 10)
    mlp = MLP.init(sizes, 0, "torch", np.float64)
    mats = random_feedback_matrices(10, sizes[1:-1], np.random.default_rng(1), np.float64)
    x, y = _data(2, 64, sizes)
    dig = _signal_grads(_net_from(mlp, gate=None, feedback=mats), x, y)
    gau = _signal_grads(_net_from(mlp, core="gaussian", gate=None, feedback=mats, rng=5), x, y)
    np.testing.assert_array_equal(gau[-1], dig[-1])  # the same e reaches the output layer
    # (B e + max|e| max|B| N(0.03, 0.618)) / sqrt(n_l): the core works in its full scale
    scale = np.abs(dig[-1]).max() * np.abs(np.concatenate(mats, 1)).max()
    z = np.concatenate([(g - d) * np.sqrt(g.shape[1]) / scale
                        for g, d in zip(gau[:-1], dig[:-1])], axis=1)
    assert z.size == 64 * 800
    assert abs(z.mean() - 0.03) < 0.01 and abs(z.std() - 0.618) < 0.01


def test_ideal_chip_feedback_equals_digital_and_a_fabricated_chip_runs() -> None:
    mlp = MLP.init(SIZES, 4, "torch", np.float64)
    mats = random_feedback_matrices(10, SIZES[1:-1], np.random.default_rng(2), np.float64)
    x, y = _data(5)
    dig, _ = _step(_net_from(mlp, feedback=mats), x, y)
    ideal, _ = _step(_net_from(mlp, core="chip", config=ChipConfig.ideal(), calibrated=False,
                               feedback=mats), x, y)
    for a, b in zip(ideal, dig):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    small = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 4})
    chip, _ = _step(_net_from(mlp, core="chip", config=small, fab_seed=0, feedback=mats,
                              rng=0), x, y)
    for a, b in zip(chip[:-1], dig[:-1]):
        assert np.all(np.isfinite(a))
        cos = np.sum(a * b) / np.linalg.norm(a) / np.linalg.norm(b)
        assert 0.9 < cos < 1.0 - 1e-9  # the chip errs, but computes the feedback


class ConvNet(nn.Module):
    """Two marked conv blocks (conv, ReLU, max-pool) and a linear read-out."""

    def __init__(self, core="digital", **kw):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 4, 5), nn.Conv2d(4, 8, 5)
        self.fc = nn.Linear(8 * 4 * 4, 10)
        self.m1, self.m2 = DFALayer(), DFALayer()
        self.dfa = DFA([self.m1, self.m2], core, **kw)

    def forward(self, x):
        x = self.m1(nn.functional.max_pool2d(torch.relu(self.c1(x)), 2))
        x = self.m2(nn.functional.max_pool2d(torch.relu(self.c2(x)), 2))
        return self.dfa(self.fc(x.flatten(1)))


def _images(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(((x.astype(np.float32) / 255 - 0.1307) / 0.3081).reshape(-1, 1, 28, 28))


def test_small_cnn_trains_on_synthetic_mnist() -> None:
    torch.manual_seed(0)
    data = synthetic_mnist(640, 200, seed=0)
    x, y = _images(data.x_train), torch.from_numpy(data.y_train.astype(np.int64))
    net = ConvNet(rng=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    c1_before = net.c1.weight.detach().clone()
    for _ in range(2):  # 40 steps
        for i in range(0, 640, 32):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[i:i + 32]), y[i:i + 32]).backward()
            opt.step()
    assert net.dfa.widths.tolist() == [4 * 12 * 12, 8 * 4 * 4]
    assert not torch.equal(net.c1.weight, c1_before)  # the first block trains too
    with torch.no_grad():
        acc = (net(_images(data.x_test)).argmax(1).numpy() == data.y_test).mean()
    assert acc > 0.4  # chance is 0.1


def test_state_dict_round_trip_restores_feedback_and_noise_stream() -> None:
    mlp = MLP.init(SIZES, 0, "torch", np.float64)
    x, y = _data(1)
    net = _net_from(mlp, core="gaussian", rng=11)
    _step(net, x, y)
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    buf.seek(0)
    other = MLPNet(SIZES, core="gaussian", rng=99).double()  # nothing drawn yet
    other.load_state_dict(torch.load(buf, weights_only=True))
    for a, b in zip(other.dfa.feedback_matrices(), net.dfa.feedback_matrices()):
        np.testing.assert_array_equal(a, b)
    ga, _ = _step(net, x, y)
    gb, _ = _step(other, x, y)
    for a, b in zip(ga, gb):
        np.testing.assert_array_equal(a, b)


def test_user_mistakes_are_clear_value_errors() -> None:
    with pytest.raises(ValueError, match="at least one marked layer"):
        DFA([])
    with pytest.raises(ValueError, match="program"):
        DFA([DFALayer()], core=object())
    with pytest.raises(ValueError, match="one of"):
        DFA([DFALayer()], core="quantum")
    with pytest.raises(ValueError, match="gate"):
        DFALayer(gate="tanh")
    m = DFALayer()
    with pytest.raises(ValueError, match="belongs to no DFA"):
        m(torch.zeros(2, 3))
    DFA([m])
    with pytest.raises(ValueError, match="already belongs"):
        DFA([m])
    with pytest.raises(ValueError, match="listed twice"):
        d = DFALayer()
        DFA([d, d])
    with pytest.raises(ValueError, match="seed"):
        DFA([DFALayer()], rng=-1)
    with pytest.raises(ValueError, match="apply only to a core name"):
        DFA([DFALayer()], DigitalCore(), fab_seed=1)
    x, y = _data()
    bad = MLPNet(SIZES, feedback=[np.ones((10, 24)), np.ones((10, 15))])
    with pytest.raises(ValueError, match="widths"):
        bad(torch.as_tensor(x, dtype=torch.float32))
    free = DFALayer()
    with pytest.raises(ValueError, match="1 marked layers"):
        DFA([free], feedback=[np.ones((10, 24)), np.ones((10, 16))])
    DFA([free])  # the failed DFA left its marker free
    m1, m2 = DFALayer(), DFALayer()
    dfa = DFA([m1, m2])
    with pytest.raises(ValueError, match=r"marked layers \[1\]"):
        dfa(m1(torch.zeros(2, 3, requires_grad=True)))
    with pytest.raises(ValueError, match="batch, n_out"):
        m1(torch.zeros(2, 3, requires_grad=True))
        m2(torch.zeros(2, 3, requires_grad=True))
        dfa(torch.zeros(2, 3, 4))
    with torch.no_grad():  # evaluation needs no markers' bookkeeping
        assert dfa(m2(m1(torch.ones(2, 3)))).shape == (2, 3)


def test_half_precision_signals_reach_the_numpy_core_widened() -> None:
    mark = DFALayer()
    dfa = DFA([mark], "gaussian", rng=0)
    fc1, fc2 = nn.Linear(6, 5).to(torch.bfloat16), nn.Linear(5, 3).to(torch.bfloat16)
    x = torch.linspace(-1, 1, 24).reshape(4, 6).to(torch.bfloat16)
    out = dfa(fc2(torch.relu(mark(fc1(x)))))
    nn.functional.cross_entropy(out.float(), torch.tensor([0, 1, 2, 0])).backward()
    assert fc1.weight.grad.dtype == torch.bfloat16
    assert torch.isfinite(fc1.weight.grad.float()).all()
    assert dfa.feedback.dtype == torch.bfloat16 and len(dfa.feedback_matrices()) == 1
