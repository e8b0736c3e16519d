"""Data parallelism for ``Module``: one executor per device, each bound to a
slice of the batch along its batch axis (``'N'`` in the layout), sharing
parameter names; outputs are gathered back into whole-batch arrays.
"""
import logging
from collections import OrderedDict

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError
from ..context import cpu
from ..executor import Executor
from ..io import DataDesc

__all__ = ["DataParallelExecutorGroup"]


def _split_input_slice(batch_size, work_load_list):
    """Slices of ``range(batch_size)`` proportional to the work loads."""
    total = sum(work_load_list)
    sizes = [int(round(w * batch_size / total)) for w in work_load_list]
    sizes[-1] = batch_size - sum(sizes[:-1])
    slices, start = [], 0
    for size in sizes:
        stop = min(start + size, batch_size)
        if stop <= start:
            raise MXNetError(f"batch of {batch_size} is too small to split over "
                             f"{len(work_load_list)} devices with work loads {work_load_list}")
        slices.append(slice(start, stop))
        start = stop
    return slices


def _take(array, sl, axis):
    """The part ``sl`` of ``array`` along ``axis`` (all of it when axis < 0)."""
    if axis < 0:
        return array
    if axis == 0:
        return array[sl.start:sl.stop]
    return nd.slice_axis(array, axis=axis, begin=sl.start, end=sl.stop)


def _load(sources, targets, axes):
    """Copy each source into its per-device (slice, array) targets."""
    for src, dsts, axis in zip(sources, targets, axes):
        if not isinstance(src, nd.NDArray):
            src = nd.array(src)
        for sl, dst in dsts:
            part = src if len(dsts) == 1 and tuple(src.shape) == tuple(dst.shape) \
                else _take(src, sl, axis)
            if tuple(part.shape) != tuple(dst.shape):
                raise MXNetError(f"module: an input batch of shape {tuple(src.shape)} does not "
                                 f"fit the bound shape {tuple(dst.shape)}; reshape or rebind "
                                 "the module for this batch size")
            part.copyto(dst)


def _merge(parts, axis):
    """One array from per-device parts, concatenated along the batch axis."""
    if len(parts) == 1 or axis < 0:
        return parts[0]
    ctx = parts[0].context
    return nd.concat(*[p.as_in_context(ctx) for p in parts], dim=axis)


class DataParallelExecutorGroup:
    """Executors of one symbol on several devices.

    ``param_arrays[i][k]`` is parameter ``param_names[i]`` on device ``k``
    (``grad_arrays`` alike); ``data_arrays``/``label_arrays`` hold
    ``(slice, array)`` pairs per device. With ``shared_group``, parameters
    (and their gradients) whose shapes agree are the same arrays as the
    shared group's, which is how bucketing shares weights.
    """

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, shared_group=None, logger=logging,
                 fixed_param_names=None, grad_req="write", state_names=None, group2ctxs=None):
        self.symbol = symbol
        self.contexts = list(contexts)
        self.workload = list(workload) if workload is not None else [1] * len(self.contexts)
        self.group2ctxs = group2ctxs
        self.param_names = list(param_names)
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.output_names = symbol.list_outputs()
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self.fixed_param_names = list(fixed_param_names or [])
        self.state_names = list(state_names or [])
        self.data_names = [d.name if isinstance(d, DataDesc) else d[0] for d in data_shapes]
        self.label_names = [d.name if isinstance(d, DataDesc) else d[0]
                            for d in (label_shapes or [])]
        self.grad_req = self._grad_reqs(grad_req)
        self.batch_size = None
        self.slices = None
        self.execs = []
        self.shared_group = shared_group
        self.bind_exec(data_shapes, label_shapes, shared_group)

    def _grad_reqs(self, grad_req):
        """Per-argument gradient requests: data gets one only with
        ``inputs_need_grad``, labels and states never, fixed parameters never."""
        if not self.for_training:
            return {name: "null" for name in self.arg_names}
        if isinstance(grad_req, dict):
            return {name: grad_req.get(name, "null") for name in self.arg_names}
        if isinstance(grad_req, (list, tuple)):
            return dict(zip(self.arg_names, grad_req))
        reqs = {}
        for name in self.arg_names:
            if name in self.param_names:
                reqs[name] = "null" if name in self.fixed_param_names else grad_req
            elif name in self.data_names:
                reqs[name] = grad_req if self.inputs_need_grad else "null"
            else:
                reqs[name] = "null"
        return reqs

    # -- binding ---------------------------------------------------------------------
    def decide_slices(self, data_shapes):
        """Split the batch over the devices; returns each input's batch axis."""
        axes = [DataDesc.get_batch_axis(getattr(d, "layout", "NCHW")) for d in data_shapes]
        for desc, axis in zip(data_shapes, axes):
            if axis < 0:
                continue
            size = desc[1][axis]
            if self.batch_size is None:
                self.batch_size = size
                self.slices = _split_input_slice(size, self.workload)
            elif size != self.batch_size:
                raise MXNetError(f"module: all inputs must have the same batch size; "
                                 f"{desc[0]!r} has {size}, expected {self.batch_size}")
        return axes

    def _sliced_shapes(self, shapes, k, axes):
        out = {}
        for desc, axis in zip(shapes, axes):
            shape = list(desc[1])
            if axis >= 0:
                shape[axis] = self.slices[k].stop - self.slices[k].start
            out[desc[0]] = tuple(shape)
        return out

    def bind_exec(self, data_shapes, label_shapes, shared_group=None, reshape=False):
        """(Re)create the executors for these input shapes."""
        self.batch_size = None
        self.data_shapes = [_as_desc(d) for d in data_shapes]
        self.label_shapes = [_as_desc(d) for d in label_shapes] if label_shapes else None
        self.data_layouts = self.decide_slices(self.data_shapes)
        self.label_layouts = self.decide_slices(self.label_shapes) if self.label_shapes else []
        old = self.execs if reshape else None
        self.execs = []
        for k in range(len(self.contexts)):
            shared = shared_group.execs[k] if shared_group is not None else \
                (old[k] if old else None)
            self.execs.append(self._bind_one(k, shared))
        self._collect_arrays()

    def reshape(self, data_shapes, label_shapes):
        """Rebind for new input shapes, keeping the parameter arrays."""
        if [tuple(d) for d in data_shapes] == [tuple(d) for d in self.data_shapes] and \
                [tuple(d) for d in label_shapes or []] == \
                [tuple(d) for d in self.label_shapes or []]:
            return
        self.bind_exec(data_shapes, label_shapes, self.shared_group, reshape=True)

    def _bind_one(self, k, shared_exec):
        ctx = self.contexts[k]
        shapes = self._sliced_shapes(self.data_shapes, k, self.data_layouts)
        if self.label_shapes:
            shapes.update(self._sliced_shapes(self.label_shapes, k, self.label_layouts))
        dtypes = {d.name: d.dtype for d in self.data_shapes + (self.label_shapes or [])}
        arg_shapes, _, aux_shapes = self.symbol.infer_shape(**shapes)
        if arg_shapes is None:
            raise MXNetError(f"module: cannot infer the argument shapes from inputs {shapes}")
        arg_types, _, aux_types = self.symbol.infer_type(**dtypes)
        if arg_types is None:
            arg_types = [np.float32] * len(arg_shapes)
            aux_types = [np.float32] * len(aux_shapes)
        reuse = shared_exec.arg_dict if shared_exec is not None else {}
        reuse_grad = shared_exec.grad_dict if shared_exec is not None else {}
        args, grads = [], []
        for name, shape, dtype in zip(self.arg_names, arg_shapes, arg_types):
            keep = name in self.param_names and name in reuse and \
                tuple(reuse[name].shape) == tuple(shape)
            args.append(reuse[name] if keep else nd.zeros(shape, ctx, dtype=dtype))
            if self.grad_req[name] == "null":
                grads.append(None)
            elif keep and reuse_grad.get(name) is not None:
                grads.append(reuse_grad[name])
            else:
                grads.append(nd.zeros(shape, ctx, dtype=dtype))
        reuse_aux = shared_exec.aux_dict if shared_exec is not None else {}
        aux = [reuse_aux[n] if n in reuse_aux and tuple(reuse_aux[n].shape) == tuple(s)
               else nd.zeros(s, ctx, dtype=t)
               for n, s, t in zip(self.aux_names, aux_shapes, aux_types)]
        return Executor(self.symbol, ctx, args, grads, self.grad_req, aux)

    def _collect_arrays(self):
        def per_device(name):
            return [(self.slices[k], e.arg_dict[name]) for k, e in enumerate(self.execs)]
        self.data_arrays = [per_device(n) for n in self.data_names]
        self.label_arrays = [per_device(n) for n in self.label_names] \
            if self.label_shapes else None
        self.state_arrays = [[e.arg_dict[n] for e in self.execs] for n in self.state_names]
        self.param_arrays = [[e.arg_arrays[i] for e in self.execs]
                             for i, n in enumerate(self.arg_names) if n in self.param_names]
        if self.for_training:
            self.grad_arrays = [[e.grad_arrays[i] for e in self.execs]
                                for i, n in enumerate(self.arg_names) if n in self.param_names]
        else:
            self.grad_arrays = None
        self.aux_arrays = [[e.aux_arrays[i] for e in self.execs]
                           for i in range(len(self.aux_names))]
        if self.inputs_need_grad:
            self.input_grad_arrays = [[e.grad_dict[n] for e in self.execs]
                                      for n in self.data_names if n in self.arg_names]
        else:
            self.input_grad_arrays = None
        self.output_layouts = [DataDesc.get_batch_axis(self.symbol[i].attr("__layout__"))
                               for i in range(len(self.output_names))]

    # -- parameters ------------------------------------------------------------------
    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copy parameters into every device's executor."""
        for e in self.execs:
            e.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Write the device average of each parameter into the given dicts."""
        for names, blocks, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                total = block[0].copyto(cpu())
                for w in block[1:]:
                    total += w.copyto(cpu())
                if len(block) > 1:
                    total /= len(block)
                total.astype(target[name].dtype).copyto(target[name])

    # -- running -------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Load the batch into the executors and run them forward."""
        _load(data_batch.data, self.data_arrays, self.data_layouts)
        if is_train is None:
            is_train = self.for_training
        if self.label_arrays is not None and data_batch.label:
            _load(data_batch.label, self.label_arrays, self.label_layouts)
        for e in self.execs:
            e.forward(is_train=is_train)

    def get_output_shapes(self):
        """``[(name, shape)]`` of the outputs for the whole batch."""
        shapes = []
        for name, axis, out in zip(self.output_names, self.output_layouts, self.execs[0].outputs):
            shape = list(out.shape)
            if axis >= 0:
                shape[axis] = self.batch_size
            shapes.append((name, tuple(shape)))
        return shapes

    def get_outputs(self, merge_multi_context=True, begin=0, end=None):
        """Outputs ``begin:end``; merged over devices, or as per-device lists."""
        end = len(self.output_names) if end is None else end
        outputs = [[e.outputs[i] for e in self.execs] for i in range(begin, end)]
        if merge_multi_context:
            return [_merge(parts, axis)
                    for parts, axis in zip(outputs, self.output_layouts[begin:end])]
        return outputs

    def get_states(self, merge_multi_context=True):
        """The state arrays (inputs named in ``state_names``)."""
        if merge_multi_context:
            return [_merge(parts, 0) for parts in self.state_arrays]
        return self.state_arrays

    def set_states(self, states=None, value=None):
        """Set the states from per-device arrays, or fill them all with ``value``."""
        if states is not None:
            if value is not None:
                raise MXNetError("set_states: give states or value, not both")
            for src_list, dst_list in zip(states, self.state_arrays):
                for src, dst in zip(src_list, dst_list):
                    src.copyto(dst)
        else:
            for dst_list in self.state_arrays:
                for dst in dst_list:
                    dst[:] = value

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (needs ``inputs_need_grad``)."""
        if not self.inputs_need_grad:
            raise MXNetError("get_input_grads: bind with inputs_need_grad=True first")
        if merge_multi_context:
            return [_merge(parts, axis)
                    for parts, axis in zip(self.input_grad_arrays, self.data_layouts)]
        return self.input_grad_arrays

    def backward(self, out_grads=None):
        """Backward on every device, each with its slice of ``out_grads``."""
        if not self.for_training:
            raise MXNetError("backward: the module is not bound for training")
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        for k, e in enumerate(self.execs):
            if out_grads is None:
                e.backward()
                continue
            sliced = [_take(g, self.slices[k], axis).as_in_context(self.contexts[k])
                      for g, axis in zip(out_grads, self.output_layouts)]
            e.backward(out_grads=sliced)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` device by device with the matching label slices."""
        for k, (e, sl) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                part = labels[k]
            else:
                part = [_take(label, sl, axis) for label, axis in
                        zip(labels, self.label_layouts or [0] * len(labels))]
            eval_metric.update_dict(OrderedDict(zip(self.label_names, part)),
                                    OrderedDict(zip(self.output_names, e.outputs)))

    def install_monitor(self, mon):
        """Let ``mon`` watch every executor."""
        for e in self.execs:
            mon.install(e)


def _as_desc(desc):
    return desc if isinstance(desc, DataDesc) else DataDesc(*desc)
