"""Parameter counts of recurrent layers, tensor by tensor, exactly as PyTorch lays them out.

For every layer l and direction (suffix "" or "_reverse") a cell with G gate blocks (RNN 1, GRU 3, LSTM 4) holds

    weight_ih_l{l}  (G*H, D_l)     D_0 = input size, D_l = H * directions for l > 0
    weight_hh_l{l}  (G*H, H)
    bias_ih_l{l}    (G*H,)
    bias_hh_l{l}    (G*H,)

so one layer-direction has G*H*(D_l + H + 2) numbers (G*H*(D_l + H) without biases).

An LSTM with a projection (PyTorch's ``proj_size`` P, 0 < P < H) outputs h_t = W_hr (o * tanh(c_t)), of size P:

    weight_hh_l{l}  (4H, P)        the recurrence reads the projected h
    weight_hr_l{l}  (P, H)         after the biases, as PyTorch orders them
    D_l = P * directions for l > 0

so one layer-direction has 4H*(D_l + P + 2) + P*H numbers. PyTorch keeps two bias
vectors where one would do (they only ever appear summed, except GRU's b_hn); the count follows PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnn_tutor.core.cellnames import CELLS, GATES, check_cell  # not cells.py: counting needs no numpy
from rnn_tutor.core.validate import check_int
from rnn_tutor.errors import BadValueError

MAX_SIZE = 1_000_000
MAX_LAYERS = 1000


@dataclass(frozen=True)
class TensorCount:
    name: str
    shape: tuple[int, ...]
    count: int


@dataclass(frozen=True)
class ParamCount:
    cell: str
    input_size: int
    hidden_size: int
    layers: int
    bidirectional: bool
    bias: bool
    gates: int
    tensors: tuple[TensorCount, ...]
    proj_size: int = 0  # LSTM only: the size of the projected h (0 = no projection)

    @property
    def total(self) -> int:
        return sum(t.count for t in self.tensors)

    @property
    def per_layer(self) -> tuple[int, ...]:
        """Numbers held by each layer (both directions together)."""
        out = [0] * self.layers
        for t in self.tensors:
            layer = int(t.name.split("_l", 1)[1].split("_", 1)[0])
            out[layer] += t.count
        return tuple(out)


def count_params(
    cell: str,
    input_size: int,
    hidden_size: int,
    layers: int = 1,
    bidirectional: bool = False,
    bias: bool = True,
    proj_size: int = 0,
) -> ParamCount:
    """Every tensor of ``torch.nn.{RNN,GRU,LSTM}(input_size, hidden_size, layers, bias, bidirectional)``.

    ``proj_size`` (LSTM only) as in ``torch.nn.LSTM(..., proj_size=P)``; 0 means none.
    """
    cell = check_cell(cell)
    d = check_int("--input-size", input_size, 1, MAX_SIZE)
    h = check_int("--hidden-size", hidden_size, 1, MAX_SIZE)
    n_layers = check_int("--layers", layers, 1, MAX_LAYERS)
    p = check_int("--proj-size", proj_size, 0, MAX_SIZE)
    if p and cell != "lstm":
        raise BadValueError("--proj-size", "only an LSTM has a projection; use --cell lstm or leave it out")
    if p >= h:
        raise BadValueError("--proj-size", f"must be smaller than --hidden-size ({h:,}), got {p:,}; PyTorch "
                                           "refuses a projection that is not smaller")
    g = GATES[cell]
    out = p or h  # the size of h_t that the next step and layer read
    directions = ("", "_reverse") if bidirectional else ("",)
    tensors = []
    for layer in range(n_layers):
        d_in = d if layer == 0 else out * len(directions)
        for suffix in directions:
            shapes = [("weight_ih", (g * h, d_in)), ("weight_hh", (g * h, out))]
            if bias:
                shapes += [("bias_ih", (g * h,)), ("bias_hh", (g * h,))]
            if p:
                shapes.append(("weight_hr", (p, h)))
            for stem, shape in shapes:
                count = 1
                for s in shape:
                    count *= s
                tensors.append(TensorCount(f"{stem}_l{layer}{suffix}", shape, count))
    return ParamCount(cell, d, h, n_layers, bool(bidirectional), bool(bias), g, tuple(tensors), p)


def compare_cells(
    input_size: int, hidden_size: int, layers: int = 1, bidirectional: bool = False, bias: bool = True
) -> tuple[ParamCount, ...]:
    """The same layer shape as RNN, GRU and LSTM, side by side (a GRU holds 3/4 of an LSTM's numbers)."""
    return tuple(count_params(c, input_size, hidden_size, layers, bidirectional, bias) for c in CELLS)
