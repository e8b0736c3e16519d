"""``mx.np`` functions that MXNet 1.9.1 serves straight from NumPy.

MXNet's ``mx.np`` passes these to NumPy through its array protocol: the
arguments are copied to the host, the results come back as ``mx.np`` arrays
(scalars stay NumPy scalars or Python bools), nothing is recorded by autograd
and the dtypes are NumPy's. ``_math`` and ``_reduce`` re-export them.
"""
import inspect

import numpy as _onp

from ..ndarray.ndarray import NDArray as _NDArray
from . import _creation

__all__ = ["positive", "signbit", "spacing", "heaviside", "float_power", "divmod", "frexp",
           "modf", "i0", "unwrap", "allclose", "isclose", "array_equal", "array_equiv", "real",
           "select", "piecewise", "ptp", "nanmax", "nanmin", "nanprod", "nancumsum", "nancumprod",
           "nanargmax", "nanargmin", "nanmedian", "nanpercentile", "nanquantile", "interp",
           "trapz", "histogram_bin_edges", "histogram2d", "histogramdd", "cov", "corrcoef",
           "correlate", "poly", "polyadd", "polysub", "polymul", "polydiv", "polyint", "polyfit",
           "roots", "vander", "packbits", "unpackbits", "apply_along_axis", "apply_over_axes"]


def _to_host(value):
    if isinstance(value, _NDArray):
        return value.asnumpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_host(v) for v in value)
    return value


def host_function(fn, name, doc):
    """``fn`` (a NumPy function) over ``mx.np`` arrays: the arguments are copied
    to NumPy, array results come back as ``mx.np.ndarray`` on the first array
    argument's device (scalars stay NumPy scalars, as in MXNet)."""
    def run(*args, **kwargs):
        ctx = next((a.ctx for a in list(args) + list(kwargs.values())
                    if isinstance(a, _NDArray)), None)
        res = fn(*_to_host(list(args)), **{k: _to_host(v) for k, v in kwargs.items()})
        return _from_host(res, ctx)
    run.__name__ = run.__qualname__ = name
    run.__doc__ = doc + " Computed by NumPy on the host, so not recorded by autograd."
    try:  # help() shows NumPy's parameters (ufuncs have no Python signature)
        run.__signature__ = inspect.signature(fn)
    except (TypeError, ValueError):
        pass
    return run


def _from_host(res, ctx):
    if isinstance(res, tuple):
        return tuple(_from_host(r, ctx) for r in res)
    if isinstance(res, _onp.ndarray):
        return _creation.array(res, dtype=res.dtype, ctx=ctx)
    return res


positive = host_function(_onp.positive, "positive", "``+x``: a copy of ``x``.")
signbit = host_function(_onp.signbit, "signbit", "True where the sign bit is set (x < 0 or -0.0).")
spacing = host_function(_onp.spacing, "spacing", "Distance from x to the next representable "
                        "number away from zero.")
heaviside = host_function(_onp.heaviside, "heaviside", "0 where x1 < 0, x2 where x1 == 0, 1 "
                          "where x1 > 0.")
float_power = host_function(_onp.float_power, "float_power", "x1 ** x2 in float64.")
divmod = host_function(_onp.divmod, "divmod", "(x1 // x2, x1 % x2) elementwise.")  # noqa: A001
frexp = host_function(_onp.frexp, "frexp", "(mantissa, exponent) with x = mantissa * 2**exponent.")
modf = host_function(_onp.modf, "modf", "(fractional part, integral part) elementwise.")
i0 = host_function(_onp.i0, "i0", "Modified Bessel function of the first kind, order 0.")
unwrap = host_function(_onp.unwrap, "unwrap", "Phase angles with jumps over ``discont`` "
                       "replaced by their 2*pi complement.")
allclose = host_function(_onp.allclose, "allclose", "Whether |a - b| <= atol + rtol * |b| "
                         "everywhere (a Python bool).")
isclose = host_function(_onp.isclose, "isclose", "|a - b| <= atol + rtol * |b| elementwise, as "
                        "a bool array.")
array_equal = host_function(_onp.array_equal, "array_equal", "Whether both arrays have one "
                            "shape and equal elements (a Python bool).")
array_equiv = host_function(_onp.array_equiv, "array_equiv", "Whether the arrays broadcast to "
                            "one shape with equal elements (a Python bool).")
real = host_function(_onp.real, "real", "The real part of the elements (the array itself).")
select = host_function(_onp.select, "select", "Elements of the first choice whose condition "
                       "holds, ``default`` where none does.")
piecewise = host_function(_onp.piecewise, "piecewise", "``funclist[i](x)`` where "
                          "``condlist[i]`` holds.")


# -- reductions, statistics and polynomials ---------------------------------------------

ptp = host_function(_onp.ptp, "ptp", "Range (maximum - minimum) over ``axis``.")
nanmax = host_function(_onp.nanmax, "nanmax", "Maximum over ``axis`` ignoring NaN.")
nanmin = host_function(_onp.nanmin, "nanmin", "Minimum over ``axis`` ignoring NaN.")
nanprod = host_function(_onp.nanprod, "nanprod", "Product over ``axis``, NaN counted as 1.")
nancumsum = host_function(_onp.nancumsum, "nancumsum", "Running sum, NaN counted as 0.")
nancumprod = host_function(_onp.nancumprod, "nancumprod", "Running product, NaN counted as 1.")
nanargmax = host_function(_onp.nanargmax, "nanargmax", "Index of the maximum ignoring NaN.")
nanargmin = host_function(_onp.nanargmin, "nanargmin", "Index of the minimum ignoring NaN.")
nanmedian = host_function(_onp.nanmedian, "nanmedian", "Median over ``axis`` ignoring NaN.")
nanpercentile = host_function(_onp.nanpercentile, "nanpercentile",
                              "Percentiles over ``axis`` ignoring NaN.")
nanquantile = host_function(_onp.nanquantile, "nanquantile",
                            "Quantiles over ``axis`` ignoring NaN.")
interp = host_function(_onp.interp, "interp", "Piecewise-linear interpolation of (xp, fp) at x.")
trapz = host_function(getattr(_onp, "trapezoid", None) or _onp.trapz, "trapz",
                      "Integral of y (at x, or spaced dx) by the trapezoidal rule along ``axis``.")
histogram_bin_edges = host_function(_onp.histogram_bin_edges, "histogram_bin_edges",
                                    "The bin edges ``histogram`` would use.")
histogram2d = host_function(_onp.histogram2d, "histogram2d",
                            "Two-dimensional histogram of the points (x, y).")
histogramdd = host_function(_onp.histogramdd, "histogramdd",
                            "Multidimensional histogram of the points of ``sample``.")
cov = host_function(_onp.cov, "cov", "Covariance matrix of the variables (rows by default).")
corrcoef = host_function(_onp.corrcoef, "corrcoef", "Pearson correlation coefficients of the "
                         "variables (rows by default).")
correlate = host_function(_onp.correlate, "correlate", "Cross-correlation of two 1-d sequences.")
poly = host_function(_onp.poly, "poly", "Coefficients of the polynomial with the given roots.")
polyadd = host_function(_onp.polyadd, "polyadd", "Sum of two polynomials.")
polysub = host_function(_onp.polysub, "polysub", "Difference of two polynomials.")
polymul = host_function(_onp.polymul, "polymul", "Product of two polynomials.")
polydiv = host_function(_onp.polydiv, "polydiv", "Quotient and remainder of two polynomials.")
polyint = host_function(_onp.polyint, "polyint", "Antiderivative of a polynomial.")
polyfit = host_function(_onp.polyfit, "polyfit", "Least-squares polynomial fit of degree ``deg``.")
roots = host_function(_onp.roots, "roots", "Roots of a polynomial.")
vander = host_function(_onp.vander, "vander", "The Vandermonde matrix of ``x`` (powers in "
                       "decreasing order unless ``increasing``).")
packbits = host_function(_onp.packbits, "packbits", "Pack the elements of a binary-valued "
                         "array into the bits of a uint8 array.")
unpackbits = host_function(_onp.unpackbits, "unpackbits", "Unpack the bits of a uint8 array "
                           "into a binary-valued array.")
apply_along_axis = host_function(_onp.apply_along_axis, "apply_along_axis",
                                 "Apply ``func1d`` to the 1-d slices of ``arr`` along "
                                 "``axis`` (``func1d`` sees NumPy arrays).")
apply_over_axes = host_function(_onp.apply_over_axes, "apply_over_axes",
                                "Apply ``func`` repeatedly over ``axes`` (``func`` sees "
                                "NumPy arrays).")
