"""IR -> IR transforms: reverse mode and clean-up passes.

reverse: the reverse transform; reverse_loops: a loop's adjoint and its tape;
templates: inlining a rule's template (for any mode); runtime_calls: calling a
`sct.runtime` helper from generated code; optimize: the clean-up passes.
"""
from .reverse import reverse, SEED_SCALAR, SEED_COTANGENT
from .optimize import optimize
