"""The whole compiler, one stage per line: source -> IR -> adjoint -> Python -> function."""
from dataclasses import dataclass, field
from typing import Any

from . import codegen, frontend, ir, transforms
from .analysis import Structure
from .frontend.scope import FunctionScope


@dataclass
class Compiled:
    """A compiled gradient plus what is needed to validate and explain it."""

    function: Any
    source: str
    filename: str
    line_map: dict
    dependencies: list
    stages: dict = field(default_factory=dict)  # stage name -> printed IR, when asked for

    def is_current(self):
        """True while every outside name the primal used still denotes the same object."""
        for namespace, name, obj in self.dependencies:
            if name is None:  # a closure cell
                try:
                    if namespace.cell_contents is not obj:
                        return False
                except ValueError:
                    return False
            elif namespace.get(name, _MISSING_GLOBAL) is not obj:
                return False
        return True


_MISSING_GLOBAL = FunctionScope.MISSING


def compile_function(fn, wrt, mode, return_tuple, param_shapes=None, keep_stages=False):
    """Differentiate the Python function `fn` w.r.t. parameter indices `wrt`.

    mode is codegen.GRAD, VALUE_AND_GRAD or VJP. `param_shapes` (name -> shape fact)
    specializes the code to those argument shapes; without it the code works for
    any shapes. A tuple, list or dict argument's fact (a `Structure`) is needed for
    code that takes it apart. Returns a `Compiled`.
    """
    stages = {}
    parsed = frontend.parse_function(fn)
    structures = {name: fact for name, fact in (param_shapes or {}).items() if isinstance(fact, Structure)}
    primal = ir.verify(frontend.lower(parsed, structures, param_shapes))
    primal.param_shapes = dict(param_shapes or {})
    if keep_stages:
        stages["lowered"] = ir.format_ir(primal)
    seed_mode = transforms.SEED_COTANGENT if mode == codegen.VJP else transforms.SEED_SCALAR
    adjoint = ir.verify(transforms.reverse(primal, wrt, seed_mode))
    if keep_stages:
        stages["reverse"] = ir.format_ir(adjoint)
    keep_output = mode != codegen.GRAD
    adjoint = ir.verify(transforms.optimize(adjoint, keep_output))
    if keep_stages:
        stages["optimized"] = ir.format_ir(adjoint)
    code = codegen.generate(adjoint, mode, return_tuple)
    wrt_names = ",".join(primal.params[i].name for i in wrt)
    shapes = " ".join(f"{name}{shape}" for name, shape in primal.param_shapes.items()
                      if isinstance(shape, tuple))
    filename = f"<sct:{fn.__module__}.{fn.__qualname__}:{mode} wrt={wrt_names}" + \
        (f" for {shapes}>" if shapes else ">")
    function = codegen.compile_generated(code, filename, fn.__defaults__, fn.__kwdefaults__)
    return Compiled(function, code.source, filename, code.line_map, primal.dependencies, stages)
