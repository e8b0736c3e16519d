"""``SequentialModule``: modules chained output-to-input, trained as one."""
import logging

from ..base import MXNetError
from ..initializer import Uniform
from ..io import DataBatch, DataDesc
from .base_module import BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """Run modules in a chain: module ``i``'s outputs are module ``i+1``'s
    data. ``add(module, take_labels=True)`` gives a module the batch's labels
    (loss stages); ``auto_wiring=True`` renames the previous outputs to the
    module's data names."""

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Append ``module`` (with meta flags ``take_labels``/``auto_wiring``);
        returns self so calls chain. Adding resets binding and initialisation."""
        unknown = set(kwargs) - self._meta_keys
        if unknown:
            raise MXNetError(f"SequentialModule.add: unknown meta {sorted(unknown)}; "
                             f"expected {sorted(self._meta_keys)}")
        self._modules.append(module)
        self._metas.append(kwargs)
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    @property
    def data_names(self):
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        self._require("data_shapes", "binded")
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        self._require("label_shapes", "binded")
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require("output_shapes", "binded")
        return self._modules[-1].output_shapes

    def get_params(self):
        """The union of the modules' parameters."""
        self._require("get_params", "binded", "params_initialized")
        arg_params, aux_params = {}, {}
        for module in self._modules:
            args, auxs = module.get_params()
            arg_params.update(args)
            aux_params.update(auxs)
        return arg_params, aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise every module (each takes what it needs from the dicts);
        parameter names must be unique across modules."""
        if self.params_initialized and not force_init:
            return
        self._require("init_params", "binded")
        for module in self._modules:
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params, allow_missing=allow_missing,
                               force_init=force_init, allow_extra=True)
        owner = {}
        for i, module in enumerate(self._modules):
            args, auxs = module.get_params()
            for name in list(args) + list(auxs):
                if name in owner:
                    raise MXNetError(f"SequentialModule: duplicated parameter name {name!r} "
                                     f"in modules {owner[name]} and {i}")
                owner[name] = i
        self.params_initialized = True

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind each module on the previous one's output shapes; all but the
        first need input gradients when training."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if not self._modules:
            raise MXNetError("SequentialModule.bind: add modules first")
        if shared_module is not None:
            raise MXNetError("SequentialModule.bind: shared_module is not supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._label_shapes = label_shapes
        shapes = data_shapes
        any_labels = False
        for i, (module, meta) in enumerate(zip(self._modules, self._metas)):
            labels = None
            if meta.get(self.META_TAKE_LABELS, False):
                labels = label_shapes
                any_labels = True
            if meta.get(self.META_AUTO_WIRING, False):
                if len(module.data_names) != len(shapes):
                    raise MXNetError(f"SequentialModule: module {i} takes "
                                     f"{len(module.data_names)} inputs, the previous gives "
                                     f"{len(shapes)}")
                shapes = [(name, desc[1]) for name, desc in zip(module.data_names, shapes)]
            module.bind(data_shapes=shapes, label_shapes=labels, for_training=for_training,
                        inputs_need_grad=inputs_need_grad or (for_training and i > 0),
                        force_rebind=force_rebind, shared_module=None, grad_req=grad_req)
            shapes = module.output_shapes
        if not any_labels:
            self._label_shapes = None
        self.binded = True

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Set up every module's optimizer."""
        self._require("init_optimizer", "binded", "params_initialized")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    def forward(self, data_batch, is_train=None):
        """Forward through the chain, each module's outputs feeding the next."""
        self._require("forward", "binded", "params_initialized")
        batch = data_batch
        for i, module in enumerate(self._modules):
            module.forward(batch, is_train=is_train)
            if i + 1 == len(self._modules):
                break
            outputs = module.get_outputs()
            next_names = self._modules[i + 1].data_names \
                if self._metas[i + 1].get(self.META_AUTO_WIRING, False) \
                else [name for name, _ in module.output_shapes]
            provide = [DataDesc(name, tuple(out.shape)) for name, out in
                       zip(next_names, outputs)]
            batch = DataBatch(data=outputs, label=data_batch.label, pad=data_batch.pad,
                              index=data_batch.index, provide_data=provide,
                              provide_label=getattr(data_batch, "provide_label", None))

    def backward(self, out_grads=None):
        """Backward from the last module to the first, passing input gradients on."""
        self._require("backward", "binded", "params_initialized")
        for i, module in reversed(list(enumerate(self._modules))):
            module.backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = module.get_input_grads()

    def update(self):
        """Update every module."""
        self._require("update", "binded", "params_initialized", "optimizer_initialized")
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        """The last module's outputs."""
        self._require("get_outputs", "binded", "params_initialized")
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The first module's input gradients."""
        self._require("get_input_grads", "binded", "params_initialized", "inputs_need_grad")
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update the metric from every module that takes labels."""
        self._require("update_metric", "binded", "params_initialized")
        for module, meta in zip(self._modules, self._metas):
            if meta.get(self.META_TAKE_LABELS, False):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` on every module."""
        self._require("install_monitor", "binded")
        for module in self._modules:
            module.install_monitor(mon)
