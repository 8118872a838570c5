#!/usr/bin/env python3
"""Makes the numpy golden data: pickles numpy itself writes, with what they hold.

    /usr/bin/python3 tests/gen/make_numpy.py OUTDIR

Needs numpy (Debian's python3-numpy, installed by scripts/bootstrap); the expectations are
numpy 1.24's. For every case it writes

    OUTDIR/<name>.p<N>.pkl      pickle.dumps(a, N) for N = 2..5
    OUTDIR/<name>.p<N>.again.pkl  pickle.dumps(pickle.loads(that), N): the array numpy reads
                                back (a big-endian array becomes native below protocol 5)
    OUTDIR/<name>.oob.pkl       pickle.dumps(a, 5, buffer_callback=...) when numpy passes a
    OUTDIR/<name>.oob.<i>.buf   PickleBuffer: the pickle and its out-of-band buffers
    OUTDIR/<name>.raw           the items in C order (last index fastest), native byte order
    OUTDIR/<name>.repr          numpy's repr() of the array in native byte order

and one line per case in OUTDIR/manifest.txt:

    name;dtype;shape;layout;readonly;scalar;buffers

dtype is numpy's dtype.str in native byte order (what picklejar reads every array into), shape
the dimensions joined by ',' (empty for shape ()), layout C, F (Fortran, not C) or other,
readonly 0/1, scalar 0/1, buffers the out-of-band buffers' read-only flags ('-' for none).

numpy 2.x names its functions numpy._core.*, and numpy >= 2.3 writes order 'K' with an
axis_order for arrays some transpose makes C-contiguous; neither is installed here, so the
'np2' cases write those recipes the way numpy 2 does, with stand-in functions of those names.

Hostile cases (OUTDIR/hostile_<name>.pkl) are recipes numpy never writes, each listed in
OUTDIR/hostile.txt as `name;text the CodecError must contain`.

Mutants (OUTDIR/mutants.txt, lines `name;hex of the protocol 2 pickle;hex of protocol 5`) are
good recipes with one argument or state item replaced, removed or added: the C++ reader and
the Python package's pre-scan must accept exactly the same ones.
"""
import io
import os
import pickle
import sys
import types

import numpy as np

PROTOCOLS = (2, 3, 4, 5)


def native(dtype):
    return dtype.newbyteorder('=') if dtype.byteorder in '<>' else dtype


def layout(a):
    if a.flags.c_contiguous:
        return 'C'
    if a.flags.f_contiguous:
        return 'F'
    return 'other'


# ---- the cases -----------------------------------------------------------------------------

def dtype_cases():
    """One array of every dtype picklejar reads, with awkward values."""
    ints = lambda t: np.array([np.iinfo(t).min, -1 if np.iinfo(t).min else 1, 0,
                               np.iinfo(t).max], dtype=t)
    floats = lambda t: np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan,
                                 np.finfo(t).max, np.finfo(t).tiny], dtype=t)
    yield 'bool', np.array([True, False, True])
    for t in ('i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8'):
        yield t, ints(t)
    for t in ('f2', 'f4', 'f8'):
        yield t, floats(t)
    yield 'c8', np.array([1 + 2j, -0.5j, complex(np.inf, np.nan)], dtype='c8')
    yield 'c16', np.array([1 + 2j, -0.5j, complex(-np.inf, 1e300)], dtype='c16')
    yield 'S5', np.array([b'ab', b'', b'hello', b'a\x00b'], dtype='S5')
    yield 'U3', np.array(['ab', '', 'h\u00e9\U0001F600', 'xyz'], dtype='U3')
    yield 'M8ns', np.array(['2020-01-01T12:00:00.000000001', 'NaT', '1969-12-31'],
                           dtype='M8[ns]')
    yield 'M8D', np.array(['2020-02-29', '1900-01-01'], dtype='M8[D]')
    yield 'M8generic', np.array(['NaT', 'NaT'], dtype='M8')
    yield 'm8_10s', np.array([5, -3, 'NaT'], dtype='m8[10s]')
    yield 'm8us', np.array([1, 2**40], dtype='m8[us]')


def shape_cases():
    yield 'zero_d', np.array(3.25)
    yield 'empty', np.zeros((0,), dtype='i4')
    yield 'empty_2d', np.zeros((3, 0), dtype='f4')
    yield 'one_d', np.arange(5, dtype='i8')
    yield 'two_d_c', np.arange(6, dtype='f8').reshape(2, 3)
    yield 'two_d_f', np.asfortranarray(np.arange(6, dtype='i4').reshape(2, 3))
    yield 'three_d_c', np.arange(24, dtype='i2').reshape(2, 3, 4)
    yield 'three_d_f', np.asfortranarray(np.arange(24, dtype='f4').reshape(2, 3, 4))
    yield 'four_d_c', np.arange(12, dtype='u2').reshape(2, 1, 3, 2)
    yield 'four_d_f', np.asfortranarray(np.arange(12, dtype='c8').reshape(2, 1, 3, 2))
    yield 'u_f', np.asfortranarray(np.array([['a', 'bc'], ['def', '']]))
    yield 'big', np.arange(100_000, dtype='f8') * 0.5  # past the framing and zero-copy sizes


def layout_cases():
    base = np.arange(40, dtype='i4').reshape(5, 8)
    yield 'strided', base[::2]                    # neither C nor F: _reconstruct at protocol 5
    yield 'strided_cols', base[:, ::3]
    yield 'transposed_3d', np.arange(24, dtype='f8').reshape(2, 3, 4).transpose(1, 0, 2)
    yield 'reversed', np.arange(6, dtype='u1')[::-1]


def byte_order_cases():
    yield 'be_i4', np.array([1, -2, 2**31 - 1], dtype='>i4')
    yield 'be_f8', np.array([1.5, -np.inf, np.nan], dtype='>f8')
    yield 'be_f2', np.array([1.5, 65504.0], dtype='>f2')
    yield 'be_c16', np.array([1 + 2j, 3 - 4j], dtype='>c16')
    yield 'be_U2', np.array(['ab', '\u00e9'], dtype='>U2')
    yield 'be_M8', np.array(['2001-02-03'], dtype='>M8[s]')
    yield 'be_2d_f', np.asfortranarray(np.arange(6, dtype='>u8').reshape(3, 2))


def readonly_cases():
    a = np.arange(5, dtype='f4')
    a.setflags(write=False)
    yield 'readonly', a
    yield 'readonly_frombuffer', np.frombuffer(b'\x01\x02\x03\x04\x05\x06', dtype='<u2')
    b = np.asfortranarray(np.arange(6, dtype='i8').reshape(2, 3))
    b.setflags(write=False)
    yield 'readonly_f', b


def scalar_cases():
    yield 's_bool', np.bool_(True)
    yield 's_i1', np.int8(-5)
    yield 's_u2', np.uint16(65535)
    yield 's_i4', np.int32(-123456)
    yield 's_i8', np.int64(-2**63)
    yield 's_u8', np.uint64(2**64 - 1)
    yield 's_f2', np.float16(-1.5)
    yield 's_f4', np.float32(3.25)
    yield 's_f8', np.float64(1.5)
    yield 's_c8', np.complex64(1 - 2j)
    yield 's_c16', np.complex128(0.5 + 1e300j)
    yield 's_S', np.bytes_(b'ab')
    yield 's_U', np.str_('h\u00e9')
    yield 's_M8', np.datetime64('2020-01-01', 'D')
    yield 's_NaT', np.datetime64('NaT')
    yield 's_m8', np.timedelta64(-7, 'ms')


def repr_cases():
    """Arrays whose repr exercises numpy's printing: notations, widths, wrapping, summaries."""
    rng = np.random.default_rng(7)
    yield 'r_floats', np.array([1.0, 2.5, -3.25, 100.0])
    yield 'r_third', np.array([1 / 3, 2 / 3, 1.0])
    yield 'r_exp_small', np.array([1e-5, 1.0, 2.5])
    yield 'r_exp_big', np.array([1e8, 1.0])
    yield 'r_exp_ratio', np.array([1.0, 1001.0])
    yield 'r_exp_3digits', np.array([1e-100, 1e100, -2.5e-300])
    yield 'r_nan_inf', np.array([np.nan, np.inf, -np.inf, 1.5])
    yield 'r_only_nan', np.array([np.nan, np.nan])
    yield 'r_zeros', np.array([0.0, -0.0])
    yield 'r_float32', np.array([0.1, 0.2, 1 / 3], dtype='f4')
    yield 'r_float32_exp', np.array([1e-4, 3.4e38, 1e-45], dtype='f4')
    yield 'r_float16', np.array([0.1, 65504, 6e-8, -0.5], dtype='f2')
    yield 'r_float16_ratio', np.array([1.0, 1000.0, 1e-3], dtype='f2')
    yield 'r_round', np.array([0.001953125, 1.0000000051, 0.9999999999])
    yield 'r_random', rng.random(20)
    yield 'r_random_2d', rng.standard_normal((4, 5))
    yield 'r_random_f4', rng.standard_normal(12).astype('f4')
    yield 'r_complex', np.array([1 + 2j, -0.5 - 1.25j, np.nan + 1j, 3 + np.inf * 1j])
    yield 'r_complex_exp', np.array([1e-8 + 1j, 1e10j], dtype='c8')
    yield 'r_ints_wide', np.array([1, -1000000, 25, 7], dtype='i4')
    yield 'r_uint64', np.array([0, 2**64 - 1], dtype='u8')
    yield 'r_int64', np.arange(-3, 3)
    yield 'r_bool_2d', np.array([[True, False], [False, True]])
    yield 'r_long_row', np.arange(40, dtype='i8') * 1234567
    yield 'r_long_floats', rng.random(30) * 1000
    yield 'r_summary', np.arange(2000.0)
    yield 'r_summary_2d', np.arange(10000, dtype='i2').reshape(100, 100)
    yield 'r_summary_3d', np.arange(1200, dtype='u4').reshape(10, 12, 10)
    yield 'r_summary_edge', np.arange(1001, dtype='f4').reshape(1001, 1)
    yield 'r_3d', np.arange(24).reshape(2, 3, 4)
    yield 'r_4d', np.arange(16, dtype='f4').reshape(2, 2, 2, 2)
    yield 'r_empty', np.array([], dtype='f8')
    yield 'r_empty_2d', np.zeros((2, 0, 3), dtype='i8')
    yield 'r_empty_bool', np.array([], dtype=bool)
    yield 'r_0d_bool', np.array(True)
    yield 'r_0d_int8', np.array(7, dtype='i1')
    yield 'r_0d_str', np.array('h\u00e9llo')
    yield 'r_strings', np.array(['a', "it's", 'tab\there', '\u00e9\U0001F600', 'x' * 30])
    yield 'r_bytes', np.array([b'a', b"\x00\xff'", b''], dtype='S4')
    yield 'r_long_strings', np.array(['word%d' % i for i in range(30)])
    yield 'r_dtype_wrap', np.arange(17, dtype='i2') * 1000
    yield 'r_dates', np.array(['2020-01-01', 'NaT', '1969-07-20'], dtype='M8[D]')
    yield 'r_dates_units', np.array([0, 1, -1], dtype='M8[2h]')
    yield 'r_dates_as', np.array([1, -2], dtype='M8[as]')
    yield 'r_dates_years', np.array(['-0001-01-01', '10000-01-01', '2020-02-29'], dtype='M8[D]')
    yield 'r_dates_months', np.array([0, 13, -1], dtype='M8[M]')
    yield 'r_dates_weeks', np.array([0, 1, 2], dtype='M8[W]')
    yield 'r_timedeltas', np.array([5, -300, 'NaT'], dtype='m8[ms]')
    yield 'r_timedelta_generic', np.array([1, 2], dtype='m8')
    yield 's_f4_round', np.float32(123456789.0)
    yield 's_f4_small', np.float32(1e-4)
    yield 's_f8_big', np.float64(1e16)
    yield 's_f8_neg0', np.float64(-0.0)
    yield 's_f2_nan', np.float16(np.nan)
    yield 's_c16_nan', np.complex128(complex(np.nan, -1))
    yield 's_c16_imag', np.complex128(2.5j)
    yield 's_M8_h', np.datetime64('2020-01-01T12', 'h')
    yield 's_M8_10s', np.datetime64(5, '10s')
    yield 's_m8_nat', np.timedelta64('NaT', 'ms')
    yield 's_m8_generic', np.timedelta64(5)


def all_cases():
    for group in (dtype_cases, shape_cases, layout_cases, byte_order_cases, readonly_cases,
                  scalar_cases, repr_cases):
        yield from group()


# ---- numpy 2 names, and numpy >= 2.3's order 'K' ---------------------------------------------

def stand_in(module, name):
    """A function that pickles as the global module.name (numpy 2's, not installed here)."""
    parts = module.split('.')
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault('.'.join(parts[:i]), types.ModuleType('.'.join(parts[:i])))
    def f(*args):
        raise RuntimeError('stand-in for numpy 2')
    f.__module__, f.__name__, f.__qualname__ = module, name, name
    setattr(sys.modules[module], name, f)
    return f


NP2 = {
    'numpy.core.multiarray._reconstruct': stand_in('numpy._core.multiarray', '_reconstruct'),
    'numpy.core.multiarray.scalar': stand_in('numpy._core.multiarray', 'scalar'),
    'numpy.core.numeric._frombuffer': stand_in('numpy._core.numeric', '_frombuffer'),
}
FROMBUFFER_NP2 = NP2['numpy.core.numeric._frombuffer']


def qualified(f):
    return f'{f.__module__}.{f.__name__}'


def k_order_recipe(a):
    """What numpy >= 2.3's array_reduce_ex_picklebuffer writes for an array that a transpose
    makes C-contiguous: _frombuffer(PickleBuffer(t), dtype, t.shape, 'K', axis_order)."""
    perm = sorted(range(a.ndim), key=lambda i: -a.strides[i])
    t = a.transpose(perm)
    if not t.flags.c_contiguous:
        return None  # numpy falls back to _reconstruct
    axis_order = [0] * a.ndim
    for i, p in enumerate(perm):
        axis_order[p] = i
    return FROMBUFFER_NP2, (pickle.PickleBuffer(t), a.dtype, t.shape, 'K', tuple(axis_order))


class Numpy2Pickler(pickle.Pickler):
    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.protocol = protocol

    def reducer_override(self, obj):
        if isinstance(obj, (np.ndarray, np.generic)):
            if self.protocol >= 5 and isinstance(obj, np.ndarray) and layout(obj) == 'other':
                k_order = k_order_recipe(obj)
                if k_order:
                    return k_order
            rv = obj.__reduce_ex__(self.protocol)
            return (NP2[qualified(rv[0])],) + tuple(rv[1:])
        return NotImplemented


def numpy2_dumps(a, protocol):
    out = io.BytesIO()
    Numpy2Pickler(out, protocol).dump(a)
    return out.getvalue()


# ---- hostile recipes ------------------------------------------------------------------------

RECONSTRUCT = np.core.multiarray._reconstruct
FROMBUFFER = np.core.numeric._frombuffer
SCALAR = np.core.multiarray.scalar


class Recipe:
    """Pickles as the given reduce tuple, whatever numpy would say about it."""

    def __init__(self, *reduce_value):
        self.reduce_value = reduce_value

    def __reduce__(self):
        return self.reduce_value


class DType:
    """A numpy.dtype recipe with any type string and state."""

    def __init__(self, typestr, state):
        self.typestr, self.state = typestr, state

    def __reduce__(self):
        return np.dtype, (self.typestr, False, True), self.state


def state3(endian='<', elsize=-1, alignment=-1, flags=0):
    return (3, endian, None, None, None, elsize, alignment, flags)


def reconstructed(shape, dtype, data, is_fortran=False, version=1):
    return Recipe(RECONSTRUCT, (np.ndarray, (0,), b'b'), (version, shape, dtype, is_fortran, data))


def hostile_cases():
    f8 = np.dtype('f8')
    yield 'size_mismatch', reconstructed((2, 3), f8, b'\0' * 40), 'does not match'
    yield 'size_mismatch_frombuffer', Recipe(FROMBUFFER, (bytearray(16), f8, (3,), 'C')), \
        'does not match'
    yield 'negative_dim', reconstructed((2, -3), f8, b''), 'negative'
    yield 'overflow', reconstructed((2**40, 2**40, 2**40), f8, b''), 'overflow'
    yield 'huge_declared', Recipe(FROMBUFFER, (b'\0' * 8, f8, (2**59,), 'C')), 'does not match'
    yield 'huge_dim', reconstructed((2**70,), f8, b''), 'dimension'
    yield 'too_many_dims', reconstructed((1,) * 65, f8, b'\0' * 8), '64'
    yield 'shape_not_tuple', reconstructed([2], f8, b'\0' * 16), 'shape'
    yield 'object_array', np.array([1, 'a', None], dtype=object), 'object'
    yield 'object_scalar_recipe', Recipe(SCALAR, (np.dtype('O'), 7)), 'object'
    yield 'structured', np.zeros(2, dtype=[('x', 'f4'), ('y', 'i2')]), 'structured'
    yield 'subarray', Recipe(SCALAR, (np.dtype(('f8', (2,))), b'\0' * 16)), 'subarray'
    yield 'void', np.zeros(2, dtype='V4'), 'void'
    yield 'float128', np.zeros(2, dtype='f16'), 'float128'
    yield 'unknown_typestr', reconstructed((1,), DType('x8', state3()), b'\0' * 8), "'x8'"
    yield 'bad_item_size', reconstructed((1,), DType('i3', state3()), b'\0' * 3), "'i3'"
    yield 'bad_endian', reconstructed((1,), DType('f8', state3(endian='x')), b'\0' * 8), 'byte order'
    yield 'bad_state_version', reconstructed((1,), DType('f8', (9,) + state3()[1:]), b'\0' * 8), \
        'state'
    yield 'short_state', reconstructed((1,), DType('f8', ('<', None, None, -1, -1)), b'\0' * 8), \
        'state'
    yield 'bad_elsize', reconstructed((1,), DType('U2', state3(elsize=4, alignment=4, flags=8)),
                                      b'\0' * 8), 'item size'
    yield 'bad_time_unit', reconstructed(
        (1,), DType('M8', (4,) + state3()[1:] + (({}, (b'parsec', 1, 1, 1)),)), b'\0' * 8), 'unit'
    yield 'array_version', reconstructed((1,), f8, b'\0' * 8, version=2), 'version'
    yield 'data_list', reconstructed((1,), f8, [1.0]), 'data'
    yield 'not_ndarray', Recipe(RECONSTRUCT, (np.matrix, (0,), b'b'),
                                (1, (1, 1), f8, False, b'\0' * 8)), 'numpy.ndarray'
    yield 'bad_order', Recipe(FROMBUFFER, (bytearray(8), f8, (1,), 'Z')), 'order'
    yield 'bad_axis_order', Recipe(FROMBUFFER_NP2, (bytearray(48), f8, (2, 3), 'K', (0, 0))), \
        'axis_order'
    yield 'scalar_size', Recipe(SCALAR, (f8, b'\0' * 7)), 'does not match'
    yield 'placeholder_shape', Recipe(RECONSTRUCT, (np.ndarray, (1,), b'b'),
                                      (1, (1,), f8, False, b'\0' * 8)), "(0,), b'b'"
    yield 'placeholder_type', Recipe(RECONSTRUCT, (np.ndarray, (0,), b'B'),
                                     (1, (1,), f8, False, b'\0' * 8)), "(0,), b'b'"
    yield 'is_fortran_int', reconstructed((1,), f8, b'\0' * 8, is_fortran=1), 'is_fortran'
    yield 'no_build', Recipe(RECONSTRUCT, (np.ndarray, (0,), b'b')), 'state'
    yield 'version_4_of_8', reconstructed((1,), DType('f8', (4,) + state3()[1:]), b'\0' * 8), \
        'state'
    yield 'version_3_of_9', reconstructed((1,), DType('f8', state3() + ({},)), b'\0' * 8), \
        'state'
    yield 'metadata_not_dict', reconstructed((1,), DType('f8', (4,) + state3()[1:] + ([],)),
                                             b'\0' * 8), 'metadata'
    yield 'flags', reconstructed((1,), DType('f8', state3(flags=2)), b'\0' * 8), 'flags'
    yield 'native_endian', reconstructed((1,), DType('f8', state3(endian='=')), b'\0' * 8), \
        'byte order'
    yield 'no_endian_f8', reconstructed((1,), DType('f8', state3(endian='|')), b'\0' * 8), \
        'byte order'
    yield 'time_metadata_none', reconstructed(
        (1,), DType('M8', (4,) + state3()[1:] + ((None, (b'ns', 1, 1, 1)),)), b'\0' * 8), 'unit'
    yield 'time_events', reconstructed(
        (1,), DType('M8', (4,) + state3()[1:] + (({}, (b'ns', 1, 2, 1)),)), b'\0' * 8), 'unit'
    yield 'empty_items', reconstructed((0,), DType('S0', state3('|', 0, 1)), b''), 'no bytes'
    yield 'axis_order_with_c', Recipe(FROMBUFFER_NP2, (bytearray(8), f8, (1,), 'C', None)), \
        'axis_order'
    yield 'dtype_not_dtype', Recipe(SCALAR, (np.ndarray, b'\0' * 8)), 'dtype'


# ---- mutants ----------------------------------------------------------------------------------

class R:
    """func(*args), then a BUILD of state unless it is None: a recipe whose parts are data."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, tuple(args), state

    def __reduce__(self):
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


DROP, ADD = object(), object()  # remove a tuple's item / add one at its end
SUBSTITUTES = [None, False, True, 0, 1, -1, 2, 2**31, 2**70, 1.5, 'C', 'K', '<', '|', 'f8',
               'ns', b'b', b'ns', b'', (), (0,), (1, 0), (2, 3), [2, 3], [1, 0], {}, {'k': 1},
               np.ndarray]


def mutant_bases():
    data = bytes(range(48))
    f8 = R(np.dtype, ('f8', False, True), (3, '<', None, None, None, -1, -1, 0))
    m8 = R(np.dtype, ('M8', False, True),
           (4, '<', None, None, None, -1, -1, 0, ({}, (b'ns', 1, 1, 1))))
    u2 = R(np.dtype, ('U2', False, True), (3, '<', None, None, None, 8, 4, 8))
    return {
        'reconstruct': R(RECONSTRUCT, (np.ndarray, (0,), b'b'), (1, (2, 3), f8, False, data)),
        'frombuffer': R(FROMBUFFER, (bytearray(data), f8, (2, 3), 'C')),
        'frombuffer_k': R(FROMBUFFER_NP2, (bytearray(data), f8, (2, 3), 'K', (1, 0))),
        'scalar': R(SCALAR, (f8, data[:8])),
        'datetime': R(RECONSTRUCT, (np.ndarray, (0,), b'b'), (1, (6,), m8, False, data)),
        'unicode': R(SCALAR, (u2, data[:8])),
    }


def parts(x, path=()):
    """The paths to every argument, state and tuple item under recipe x, and to its tuples."""
    if isinstance(x, R):
        yield from parts(x.args, path + ('args',))
        if x.state is not None:
            yield path + ('state',), 'item'
            yield from parts(x.state, path + ('state',))
    elif type(x) is tuple:
        yield path, 'tuple'
        for i, item in enumerate(x):
            yield path + (i,), 'item'
            yield from parts(item, path + (i,))


def replaced(x, path, value):
    if not path:
        if value is DROP:
            return x[:-1]
        return x + (None,) if value is ADD else value
    step, rest = path[0], path[1:]
    if isinstance(x, R):
        if step == 'args':
            return R(x.func, replaced(x.args, rest, value), x.state)
        return R(x.func, x.args, replaced(x.state, rest, value))
    items = list(x)
    items[step] = replaced(items[step], rest, value)
    return tuple(items)


def mutant_cases():
    for base, recipe in mutant_bases().items():
        yield base, recipe
        for path, what in parts(recipe):
            where = base + '.' + '.'.join(str(step) for step in path)
            if what == 'tuple':
                yield where + ' dropped', replaced(recipe, path, DROP)
                yield where + ' added', replaced(recipe, path, ADD)
            else:
                for value in SUBSTITUTES:
                    shown = value.__name__ if isinstance(value, type) else repr(value)
                    yield f'{where}={shown}', replaced(recipe, path, value)


# ---- writing --------------------------------------------------------------------------------

def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def shape_text(a):
    return ','.join(str(n) for n in a.shape)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    cases = list(all_cases())
    cases += [('np2_' + name, a) for name, a in cases if name in (
        'f8', 'two_d_f', 'transposed_3d', 'strided', 's_f8', 'M8ns', 'zero_d')]
    for name, a in cases:
        numpy2 = name.startswith('np2_')
        for protocol in PROTOCOLS:
            data = numpy2_dumps(a, protocol) if numpy2 else pickle.dumps(a, protocol)
            if not numpy2:
                back = pickle.loads(data)
                assert native(back.dtype) == native(a.dtype) and back.shape == a.shape, name
                write(os.path.join(out, f'{name}.p{protocol}.again.pkl'),
                      pickle.dumps(back, protocol))
            write(os.path.join(out, f'{name}.p{protocol}.pkl'), data)
        buffers = []
        if not numpy2:
            data = pickle.dumps(a, 5, buffer_callback=buffers.append)
            if buffers:
                write(os.path.join(out, f'{name}.oob.pkl'), data)
                for i, b in enumerate(buffers):
                    write(os.path.join(out, f'{name}.oob.{i}.buf'), bytes(b.raw()))
        flags = ''.join('1' if memoryview(b).readonly else '0' for b in buffers) or '-'
        items = np.ascontiguousarray(np.asarray(a).astype(native(a.dtype)))
        write(os.path.join(out, f'{name}.raw'), items.tobytes())
        if not numpy2:  # numpy's repr of the array as read: native byte order
            shown = a if isinstance(a, np.generic) else a.astype(native(a.dtype))
            write(os.path.join(out, f'{name}.repr'), repr(shown).encode())
        is_scalar = isinstance(a, np.generic)
        readonly = 0 if is_scalar else int(not a.flags.writeable)
        manifest.append(';'.join([name, native(a.dtype).str, shape_text(a),
                                  layout(np.asarray(a)), str(readonly), str(int(is_scalar)),
                                  flags]))
    write(os.path.join(out, 'manifest.txt'), ('\n'.join(manifest) + '\n').encode())

    hostile = []
    for name, recipe, message in hostile_cases():
        for protocol in (2, 5):
            write(os.path.join(out, f'hostile_{name}.p{protocol}.pkl'),
                  pickle.dumps(recipe, protocol))
        hostile.append(f'{name};{message}')
    write(os.path.join(out, 'hostile.txt'), ('\n'.join(hostile) + '\n').encode())

    mutants = [f'{name};{pickle.dumps(r, 2).hex()};{pickle.dumps(r, 5).hex()}'
               for name, r in mutant_cases()]
    assert not any(name.count(';') for name, _ in mutant_cases())
    write(os.path.join(out, 'mutants.txt'), ('\n'.join(mutants) + '\n').encode())


if __name__ == '__main__':
    main()
