"""What generated gradient code calls at run time, grouped by what it serves.

    broadcasting  a cotangent back to an argument's shape (unbroadcast, unreduce, expand)
    gradients     the output's seed and the gradients returned to the user
    indexing      adjoints of x[index] and y[index] = v
    containers    lists, tuples and dicts made at run time, and their adjoints
    arrays        adjoints of NumPy's shaping, joining, casting and reducing functions
    grids         adjoints of linspace, logspace, geomspace, meshgrid and np.r_/np.c_/np.mgrid
    linalg        adjoints of matmul, np.dot, inner, solve, norms and diagonals
    checks        run-time checks where Python or NumPy would behave differently
    recursion     recursive calls, through a VJP the API compiles on demand

The runtime imports nothing of the compiler: generated code needs only NumPy, sct's
errors and this package. The names below are the ones generated code and rules use.
"""
from .broadcasting import broadcast_copies, expand, unbroadcast, unreduce
from .gradients import as_gradient, copy_gradient, object_like, private_copy, scalar_seed, zero_gradient
from .indexing import add_at, added_at, getitem_adjoint, items_of, occurrences_of, without_items
from .containers import (add_adjoints, add_item_adjoints, all_but_last, appended, default_adjoint, extreme_index,
                         first_items, item_adjoint, last_item, listed_adjoint, sorted_order, stack_row_adjoints,
                         sum_adjoint, take_items, take_items_adjoint)
from .arrays import (cast_adjoint, clip_bound, concatenate_adjoint, extreme_adjoints, hstack_axis,
                     inverse_permutation, power_log, prod_adjoint, ravel_adjoint, std_adjoint)
from .grids import (geomspace_adjoint, index_object_adjoint, linspace_adjoint, logspace_adjoint, meshgrid_adjoint,
                    slice_adjoint)
from .linalg import (diag_adjoint, diagonal_adjoint, dot_adjoint_left, dot_adjoint_right, inner_adjoint_left,
                     inner_adjoint_right, matmul_adjoint_left, matmul_adjoint_right, nonzero_norm, norm_adjoint, solve_adjoint_a,
                     solve_adjoint_b, trace_adjoint)
from .checks import (Unbound, check_default_function, check_out, check_rebinding, check_unpack, check_write_through, check_zip_length,
                     is_basic_index, no_gradient_through_text)
from .recursion import call_with_pullback, provide_vjp_compiler
