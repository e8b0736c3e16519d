"""MXNet's reshape codes: 0 (keep), -1 (infer), -2 (keep rest), -3 (merge two), -4 (split)."""
from ..base import MXNetError


def infer_reshape(op_name, src, spec, reverse=False):
    """The target shape of reshaping ``src`` by ``spec`` with MXNet's special codes."""
    src = tuple(src)
    spec = tuple(spec)
    if reverse:
        src, spec = src[::-1], spec[::-1]
    out = []
    infer_at = None
    i = 0  # position in src
    j = 0  # position in spec
    while j < len(spec):
        code = spec[j]
        if code > 0:
            out.append(code)
            i += 1
        elif code == 0:
            if i >= len(src):
                raise _bad(op_name, src, spec, "0 has no source dimension to copy")
            out.append(src[i])
            i += 1
        elif code == -1:
            if infer_at is not None:
                raise _bad(op_name, src, spec, "more than one -1")
            infer_at = len(out)
            out.append(1)
            i += 1
        elif code == -2:
            out.extend(src[i:])
            i = len(src)
        elif code == -3:
            if i + 1 >= len(src):
                raise _bad(op_name, src, spec, "-3 needs two source dimensions")
            out.append(src[i] * src[i + 1])
            i += 2
        elif code == -4:
            if j + 2 >= len(spec) or i >= len(src):
                raise _bad(op_name, src, spec, "-4 needs two following values and a source dimension")
            d1, d2 = spec[j + 1], spec[j + 2]
            whole = src[i]
            if d1 == -1 and d2 > 0:
                d1 = whole // d2
            elif d2 == -1 and d1 > 0:
                d2 = whole // d1
            if d1 * d2 != whole:
                raise _bad(op_name, src, spec, f"-4 split {d1}x{d2} != {whole}")
            out.extend([d1, d2])
            i += 1
            j += 2
        else:
            raise _bad(op_name, src, spec, f"invalid code {code}")
        j += 1
    total = _prod(src)
    if infer_at is not None:
        rest = _prod(out) // out[infer_at] if out[infer_at] else 0
        if rest == 0 or total % rest:
            raise _bad(op_name, src, spec, "cannot infer the -1 dimension")
        out[infer_at] = total // rest
    if _prod(out) != total:
        raise _bad(op_name, src, spec, f"target size {_prod(out)} != source size {total}")
    return tuple(out[::-1]) if reverse else tuple(out)


def fill_unknown_dim(op_name, src, out):
    """``src`` (0 = unknown dimension, MXNet's partial shapes) completed from
    the known output shape of a size-preserving op, or None when ``src``
    has more than one unknown dimension or ``out`` is not fully known."""
    src = tuple(src)
    if out is None or 0 in out or src.count(0) != 1:
        return None
    known = _prod(d for d in src if d)
    total = _prod(out)
    if total % known:
        raise MXNetError(f"{op_name}: an input of shape {src} (0 unknown) cannot hold the "
                         f"{total} elements of the output {tuple(out)}")
    return tuple(total // known if d == 0 else d for d in src)


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _bad(op_name, src, spec, why):
    return MXNetError(f"{op_name}: cannot reshape {src} with shape={spec}: {why}")
