"""Einsum subscripts: parsing NumPy's notation and the operands' gradients.

``einsum_plan`` turns subscripts with ellipses or an implicit output into
one explicit form with a letter per axis, checked against the operand
shapes; the forward kernel and the gradient both work on that form.
"""
import functools
import string
from collections import namedtuple

from ..base import MXNetError

_OP = "_npi_einsum"

EinsumPlan = namedtuple("EinsumPlan", "inputs output explicit sizes out_shape")


def _split(subscripts, n_operands):
    text = subscripts.replace(" ", "")
    if "->" in text:
        lhs, out = text.split("->", 1)
        if "->" in out:
            raise MXNetError(f"{_OP}: subscripts {subscripts!r} have more than one '->'")
    else:
        lhs, out = text, None
    terms = lhs.split(",")
    if len(terms) != n_operands:
        raise MXNetError(f"{_OP}: subscripts {subscripts!r} name {len(terms)} operand(s), "
                         f"{n_operands} given")
    for term in terms + ([out] if out is not None else []):
        rest = term.replace("...", "", 1)
        if "." in rest or any(c not in string.ascii_letters for c in rest):
            raise MXNetError(f"{_OP}: invalid subscripts {subscripts!r} (letters, one "
                             f"'...' per term, ',' and '->' only)")
    return terms, out


def _expand(term, ndim, ell_letters, subscripts):
    """``term`` with its ellipsis replaced by the last letters of ``ell_letters``."""
    if "..." not in term:
        if len(term) != ndim:
            raise MXNetError(f"{_OP}: subscripts {subscripts!r}: term {term!r} has {len(term)} "
                             f"letters for an operand of {ndim} dimensions")
        return term
    n = ndim - (len(term) - 3)
    if n < 0:
        raise MXNetError(f"{_OP}: subscripts {subscripts!r}: term {term!r} has too many "
                         f"letters for an operand of {ndim} dimensions")
    return term.replace("...", ell_letters[len(ell_letters) - n:] if n else "")


def einsum_plan(subscripts, shapes):
    """The explicit, checked form of ``subscripts`` for operands of ``shapes``."""
    return _plan(subscripts, tuple(tuple(s) for s in shapes))


@functools.lru_cache(maxsize=512)  # a model calls einsum with few (subscripts, shapes) pairs
def _plan(subscripts, shapes):
    terms, out = _split(subscripts, len(shapes))
    used = set("".join(terms) + (out or ""))
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max([len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t] or [0])
    ell = "".join(free[:n_ell])
    inputs = [_expand(t, len(s), ell, subscripts) for t, s in zip(terms, shapes)]
    if out is None:  # implicit: broadcast axes, then letters seen once, alphabetically
        joined = "".join(t.replace("...", "") for t in terms)
        output = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    elif "..." in out:
        output = out.replace("...", ell)
    else:
        output = out
        if any(c in output for c in ell):
            raise MXNetError(f"{_OP}: subscripts {subscripts!r}: output must have '...' "
                             f"when inputs do")
    sizes = _sizes(subscripts, inputs, shapes, set(ell))
    if len(set(output)) != len(output) or any(c not in sizes for c in output):
        raise MXNetError(f"{_OP}: subscripts {subscripts!r}: output letters must be distinct "
                         f"and appear in an input")
    explicit = ",".join(inputs) + "->" + output
    return EinsumPlan(inputs, output, explicit, sizes, tuple(sizes[c] for c in output))


def _sizes(subscripts, inputs, shapes, broadcast):
    sizes = {}
    for term, shape in zip(inputs, shapes):
        for c, d in zip(term, shape):
            seen = sizes.get(c)
            if seen is None or seen == d or (c in broadcast and d == 1):
                sizes.setdefault(c, d)
            elif c in broadcast and seen == 1:
                sizes[c] = d
            else:
                raise MXNetError(f"{_OP}: subscripts {subscripts!r}: axis '{c}' has size "
                                 f"{seen} and {d} in operand shapes "
                                 f"{', '.join(str(tuple(s)) for s in shapes)}")
    return sizes


def einsum_grads(xp, subscripts, g, operands):
    """The gradient of each operand of einsum(``subscripts``) given the output gradient."""
    plan = einsum_plan(subscripts, [x.shape for x in operands])
    return [_operand_grad(xp, plan, g, operands, i) for i in range(len(operands))]


def _operand_grad(xp, plan, g, operands, i):
    term, x = plan.inputs[i], operands[i]
    letters = "".join(dict.fromkeys(term))  # distinct, in order
    others = [t for j, t in enumerate(plan.inputs) if j != i] + [plan.output]
    reached = set("".join(others))
    # Contract everything else with g onto this operand's letters that the others
    # carry; the letters only this operand has were summed, so g is constant along them.
    kept = "".join(c for c in letters if c in reached)
    spec = ",".join(others) + "->" + kept
    part = xp.einsum(spec, *[y for j, y in enumerate(operands) if j != i], g)
    part = part.reshape(tuple(plan.sizes[c] if c in reached else 1 for c in letters))
    full = xp.broadcast_to(part, tuple(plan.sizes[c] for c in letters))
    # A size-1 axis broadcast against a longer one gets the sum over that axis.
    dims = [x.shape[term.index(c)] for c in letters]
    summed = tuple(k for k, c in enumerate(letters) if dims[k] == 1 and full.shape[k] != 1)
    if summed:
        full = full.sum(axis=summed, keepdims=True)
    if len(letters) == len(term):
        return xp.ascontiguousarray(xp.transpose(full, [letters.index(c) for c in term])
                                    ).astype(x.dtype, copy=False)
    # Repeated letters (a diagonal): the gradient lives on that diagonal, zero elsewhere.
    grad = xp.zeros(x.shape, dtype=x.dtype)
    # One open-grid index per distinct letter (xp.indices' sparse form, spelled out for CuPy).
    grid = [xp.arange(d).reshape([-1 if k == j else 1 for k in range(full.ndim)])
            for j, d in enumerate(full.shape)]
    grad[tuple(grid[letters.index(c)] for c in term)] = full
    return grad
