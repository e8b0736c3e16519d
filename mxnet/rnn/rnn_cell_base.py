"""The legacy symbolic RNN cells' base class and the cells that wrap others.

A cell builds, one time step per call, the symbols of a recurrent network
(``cell(inputs, states) -> (output, new_states)``); ``unroll`` chains the
steps over a sequence. Parameters are ``mx.sym.Variable`` s shared by every
step, kept in an ``RNNParams`` so that cells can share them. Symbol names
follow MXNet 1.x (``lstm_t0_out``, ``lstm_begin_state_0``), so checkpoints,
``Module`` data names and monitors see the same names as there.
"""
from .. import ndarray, symbol
from ..base import MXNetError


def normalize_sequence(length, inputs, layout, merge, in_layout=None):
    """``inputs`` (one symbol holding the sequence along the 'T' axis of
    ``layout``, or a list of per-step symbols) as a list of steps when
    ``merge`` is False, as one symbol when True, unchanged when None; with
    the time axis of ``layout``."""
    if inputs is None:
        raise MXNetError("unroll: inputs must not be None")
    axis = layout.find("T")
    in_axis = in_layout.find("T") if in_layout else axis
    if isinstance(inputs, symbol.Symbol):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise MXNetError("unroll doesn't allow grouped symbol as input. Please convert "
                                 "to list with list(inputs) first or let unroll handle "
                                 "splitting.")
            inputs = list(symbol.split(inputs, axis=in_axis, num_outputs=length,
                                       squeeze_axis=1))
    else:
        if length is not None and len(inputs) != length:
            raise MXNetError(f"unroll: expected {length} input steps, got {len(inputs)}")
        if merge is True:
            inputs = symbol.Concat(*[symbol.expand_dims(i, axis=axis) for i in inputs],
                                   dim=axis)
            in_axis = axis
    if isinstance(inputs, symbol.Symbol) and axis != in_axis:
        inputs = symbol.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis


class RNNParams:
    """The parameter Variables of a cell, created on first request under
    ``prefix + name`` and shared by every cell handed this container."""

    def __init__(self, prefix=""):
        self._prefix = prefix
        self._params = {}

    def get(self, name, **kwargs):
        """The Variable ``prefix + name`` (created with ``kwargs`` the first time)."""
        name = self._prefix + name
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]


class BaseRNNCell:
    """Abstract cell. Subclasses give ``state_info`` (a dict per state: its
    shape, 0 for the batch size, and ``__layout__``), ``__call__`` for one
    step and, for gated cells, ``_gate_names`` so that ``unpack_weights``
    can split the stacked gate weights."""

    def __init__(self, prefix="", params=None):
        self._own_params = params is None
        self._params = RNNParams(prefix) if params is None else params
        self._prefix = prefix
        self._modified = False
        self.reset()

    def reset(self):
        """Restart the step and begin-state counters used in symbol names."""
        self._init_counter = -1
        self._counter = -1

    def __call__(self, inputs, states):
        raise NotImplementedError()

    @property
    def params(self):
        """The parameter container (the cell no longer owns it once shared)."""
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        raise NotImplementedError()

    @property
    def state_shape(self):
        """The shape of each state, 0 standing for the batch size."""
        return [info["shape"] for info in self.state_info]

    @property
    def _gate_names(self):
        return ()

    def _check_not_modified(self):
        if self._modified:
            raise MXNetError("After applying modifier cells (e.g. DropoutCell) the base cell "
                             "cannot be called directly. Call the modifier cell instead.")

    def begin_state(self, func=symbol.zeros, **kwargs):
        """Initial states, one ``func(name=..., **state_info, **kwargs)`` per state
        (``symbol.zeros`` by default; ``symbol.Variable`` makes them inputs)."""
        self._check_not_modified()
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}",
                               **kwargs))
        return states

    def unpack_weights(self, args):
        """``args`` (name -> NDArray) with each stacked i2h/h2h weight and bias
        split into one array per gate (``lstm_i2h_f_weight``...)."""
        args = args.copy()
        if not self._gate_names:
            return args
        h = self._num_hidden
        for group in ("i2h", "h2h"):
            for kind in ("weight", "bias"):
                stacked = args.pop(f"{self._prefix}{group}_{kind}")
                for j, gate in enumerate(self._gate_names):
                    args[f"{self._prefix}{group}{gate}_{kind}"] = stacked[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args):
        """The inverse of ``unpack_weights``: per-gate arrays stacked again."""
        args = args.copy()
        if not self._gate_names:
            return args
        for group in ("i2h", "h2h"):
            for kind in ("weight", "bias"):
                parts = [args.pop(f"{self._prefix}{group}{gate}_{kind}")
                         for gate in self._gate_names]
                args[f"{self._prefix}{group}_{kind}"] = ndarray.concatenate(parts)
        return args

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        """Apply the cell ``length`` times: ``(outputs, states)``, the outputs a
        list of steps or (``merge_outputs``) one symbol along the 'T' axis."""
        self.reset()
        inputs, _ = normalize_sequence(length, inputs, layout, False)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for step in range(length):
            output, states = self(inputs[step], states)
            outputs.append(output)
        outputs, _ = normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, inputs, activation, **kwargs):
        if isinstance(activation, str):
            return symbol.Activation(inputs, act_type=activation, **kwargs)
        return activation(inputs, **kwargs)


def _states_of(cells):
    return sum((cell.state_info for cell in cells), [])


def _split_states(cells, states):
    """``states`` cut into each cell's share."""
    shares, start = [], 0
    for cell in cells:
        n = len(cell.state_info)
        shares.append(states[start:start + n])
        start += n
    return shares


class _CellGroup(BaseRNNCell):
    """A cell made of child cells, sharing a parameter container when one is given."""

    def __init__(self, cells, params, what):
        super().__init__(prefix="", params=params)
        self._override_cell_params = params is not None
        self._what = what
        self._cells = []
        for cell in cells:
            self._adopt(cell)

    def _adopt(self, cell):
        if self._override_cell_params:
            if not cell._own_params:
                raise MXNetError(f"Either specify params for {self._what} or child cells, "
                                 "not both.")
            cell.params._params.update(self.params._params)
        self.params._params.update(cell.params._params)
        self._cells.append(cell)

    @property
    def state_info(self):
        return _states_of(self._cells)

    def begin_state(self, **kwargs):
        self._check_not_modified()
        return sum((cell.begin_state(**kwargs) for cell in self._cells), [])

    def unpack_weights(self, args):
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args):
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args


class SequentialRNNCell(_CellGroup):
    """Cells stacked: each one's output is the next one's input."""

    def __init__(self, params=None):
        super().__init__([], params, "SequentialRNNCell")

    def add(self, cell):
        """Append ``cell`` to the stack."""
        self._adopt(cell)

    def __call__(self, inputs, states):
        self._counter += 1
        next_states = []
        for cell, share in zip(self._cells, _split_states(self._cells, states)):
            if isinstance(cell, BidirectionalCell):
                raise MXNetError("SequentialRNNCell: a BidirectionalCell cannot be stepped; "
                                 "use unroll")
            inputs, share = cell(inputs, share)
            next_states += share
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        begin_state = self.begin_state() if begin_state is None else begin_state
        shares = _split_states(self._cells, begin_state)
        next_states = []
        for i, (cell, share) in enumerate(zip(self._cells, shares)):
            last = i == len(self._cells) - 1
            inputs, share = cell.unroll(length, inputs=inputs, begin_state=share, layout=layout,
                                        merge_outputs=merge_outputs if last else None)
            next_states += share
        return inputs, next_states


class DropoutCell(BaseRNNCell):
    """Dropout on the inputs (no state); unrolled over a whole merged sequence at once."""

    def __init__(self, dropout, prefix="dropout_", params=None):
        super().__init__(prefix, params)
        self.dropout = dropout

    @property
    def state_info(self):
        return []

    def __call__(self, inputs, states):
        if self.dropout > 0:
            inputs = symbol.Dropout(data=inputs, p=self.dropout)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        inputs, _ = normalize_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, symbol.Symbol):
            return self(inputs, [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs)


class ModifierCell(BaseRNNCell):
    """A cell changing how ``base_cell`` steps; the base cell is then used only
    through it, and its parameters and states are the modifier's."""

    def __init__(self, base_cell):
        super().__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self):
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self):
        return self.base_cell.state_info

    def begin_state(self, init_sym=symbol.zeros, **kwargs):
        self._check_not_modified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args):
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args):
        return self.base_cell.pack_weights(args)

    def __call__(self, inputs, states):
        raise NotImplementedError()


class ZoneoutCell(ModifierCell):
    """Zoneout: each output and state element keeps its previous value with
    probability ``zoneout_outputs`` / ``zoneout_states`` in training."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        refusal = getattr(base_cell, "_zoneout_refusal", None)
        if refusal:
            raise MXNetError(refusal)
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self.prev_output = None

    def reset(self):
        super().reset()
        self.prev_output = None

    def __call__(self, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, like):
            return symbol.Dropout(symbol.ones_like(like), p=p)
        prev_output = symbol.zeros((0, 0)) if self.prev_output is None else self.prev_output
        output = next_output
        if self.zoneout_outputs != 0.:
            output = symbol.where(keep_new(self.zoneout_outputs, next_output), next_output,
                                  prev_output)
        if self.zoneout_states != 0.:
            next_states = [symbol.where(keep_new(self.zoneout_states, new), new, old)
                           for new, old in zip(next_states, states)]
        self.prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """Adds each step's input to the base cell's output."""

    def __call__(self, inputs, states):
        output, states = self.base_cell(inputs, states)
        return symbol.elemwise_add(output, inputs, name=f"{output.name}_plus_residual"), states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs,
                                                    begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, symbol.Symbol)
        inputs, _ = normalize_sequence(length, inputs, layout, merge_outputs)
        if merge_outputs:
            return symbol.elemwise_add(outputs, inputs,
                                       name=f"{outputs.name}_plus_residual"), states
        return [symbol.elemwise_add(o, i, name=f"{o.name}_plus_residual")
                for o, i in zip(outputs, inputs)], states


class BidirectionalCell(_CellGroup):
    """``l_cell`` over the sequence and ``r_cell`` over it reversed, their outputs
    concatenated per step; the states come back as ``[l_states, r_states]``."""

    _zoneout_refusal = ("BidirectionalCell doesn't support zoneout since it doesn't support "
                        "step. Please add ZoneoutCell to the cells underneath instead.")

    def __init__(self, l_cell, r_cell, params=None, output_prefix="bi_"):
        super().__init__([l_cell, r_cell], params, "BidirectionalCell")
        self._output_prefix = output_prefix

    def __call__(self, inputs, states):
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        inputs, axis = normalize_sequence(length, inputs, layout, False)
        begin_state = self.begin_state() if begin_state is None else begin_state
        l_cell, r_cell = self._cells
        l_begin, r_begin = _split_states(self._cells, begin_state)
        l_out, l_states = l_cell.unroll(length, inputs=inputs, begin_state=l_begin,
                                        layout=layout, merge_outputs=merge_outputs)
        r_out, r_states = r_cell.unroll(length, inputs=list(reversed(inputs)),
                                        begin_state=r_begin, layout=layout,
                                        merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = isinstance(l_out, symbol.Symbol) and isinstance(r_out, symbol.Symbol)
        if merge_outputs:
            l_out, r_out = normalize_sequence(length, l_out, layout, True)[0], \
                normalize_sequence(length, r_out, layout, True)[0]
            outputs = symbol.Concat(l_out, symbol.reverse(r_out, axis=axis), dim=2,
                                    name=f"{self._output_prefix}out")
            return outputs, [l_states, r_states]
        l_out = normalize_sequence(length, l_out, layout, False)[0]
        r_out = list(reversed(normalize_sequence(length, r_out, layout, False)[0]))
        outputs = [symbol.Concat(l_o, r_o, dim=1, name=f"{self._output_prefix}t{i}")
                   for i, (l_o, r_o) in enumerate(zip(l_out, r_out))]
        return outputs, [l_states, r_states]
