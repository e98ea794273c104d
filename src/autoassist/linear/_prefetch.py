"""A cache prefetch hint for the compiled loops: ``prefetch(a, i)`` asks for the line holding ``a[i]``.

An SGD pass visits its instances in random order, so each visit's row (``indptr``, ``data``,
``indices``) and per-instance state sit in lines the hardware prefetcher cannot guess; the visit then
waits on them one after another. The pass knows its order in advance, so it can ask for the lines of
a visit a few draws ahead while it works on the current one. This is LLVM's ``llvm.prefetch`` (a read,
high locality, data cache): a hint with no effect on results, which never faults, so an index past
the end is harmless.
"""

from __future__ import annotations

from typing import Any, Callable, cast

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:  # pragma: no cover (compiled)
    """Hint that ``array[index]`` (a 1-d array, an integer index) will be read soon; returns nothing."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and isinstance(index, types.Integer)):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array_type = signature.args[0]
        arr = context.make_array(array_type)(context, builder, args[0])
        ptr = builder.gep(arr.data, [args[1]])  # the address only: nothing is loaded, no bounds are checked
        if getattr(ptr.type, "is_opaque", False):
            name, ptr_type = "llvm.prefetch.p0", ptr.type
        else:  # typed pointers (older llvmlite)
            ptr_type = ir.IntType(8).as_pointer()
            name, ptr = "llvm.prefetch.p0i8", builder.bitcast(ptr, ptr_type)
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [ptr_type, i32, i32, i32]),
                                            name)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])  # read, keep, data
        return context.get_dummy_value()

    return types.void(array, index), codegen


# what the compiled loops call (mypy sees the intrinsic's typing signature, not its call)
prefetch = cast(Callable[[Any, Any], None], _prefetch)
