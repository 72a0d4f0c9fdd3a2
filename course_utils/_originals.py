"""The builtins and NumPy objects the checking code uses, taken once when it is first imported.

``checks``, ``_messages``, ``_integrity`` and ``_stand_ins`` call only these references, never a
builtin or a numpy attribute looked up when they run (tests/test_checks.py verifies this on the bytecode), so
that patching ``builtins`` or ``numpy`` later cannot change what a check computes. ``_integrity``
verifies, when the checks are sealed, that each of them is genuine.
"""

import builtins as _builtins
import operator as _operator
import os as _os
import sys as _sys
import types as _types

import numpy as _np

_AssertionError, _AttributeError, _Exception = AssertionError, AttributeError, Exception
_LookupError, _TypeError, _ValueError = LookupError, TypeError, ValueError
_abs, _all, _any, _bool, _dict, _divmod, _enumerate = abs, all, any, bool, dict, divmod, enumerate
_float, _getattr, _id, _int, _issubclass, _len, _list = float, getattr, id, int, issubclass, len, list
_frozenset, _map, _repr, _reversed, _set, _str = frozenset, map, repr, reversed, set, str
_tuple, _type, _zip = tuple, type, zip
_callable, _exec, _iter = callable, exec, iter
_object_setattr = object.__setattr__

_dict_keys, _dict_items, _dict_getitem = dict.keys, dict.items, dict.__getitem__
_is, _itemgetter, _attrgetter = _operator.is_, _operator.itemgetter, _operator.attrgetter
_BuiltinFunctionType, _FunctionType = _types.BuiltinFunctionType, _types.FunctionType
_ModuleType, _NoneType, _TracebackType = _types.ModuleType, type(None), _types.TracebackType
_module_setattr = _ModuleType.__setattr__
_dirname, _sep = _os.path.dirname, _os.sep
_getframe = _sys._getframe

_ndarray, _generic, _number, _float64 = _np.ndarray, _np.generic, _np.number, _np.float64
_asarray, _where = _np.asarray, _np.where
_get_random_state, _set_random_state = _np.random.get_state, _np.random.set_state
_isfinite, _isnan, _absolute = _np.isfinite, _np.isnan, _np.absolute
_add, _subtract, _multiply = _np.add, _np.subtract, _np.multiply
_equal, _less_equal, _greater, _greater_equal = _np.equal, _np.less_equal, _np.greater, _np.greater_equal
_logical_and, _logical_or, _logical_not = _np.logical_and, _np.logical_or, _np.logical_not

_NUMPY_DICT = _np.__dict__
_NUMPY_DIRECTORY = _os.path.dirname(_np.__file__) + _os.sep
_BUILTINS_DICT = _builtins.__dict__
_SYS_DICT = _sys.__dict__
_SYS_MODULES = _sys.modules
del _np
