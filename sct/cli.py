"""The `sct` command: `sct show FILE.py:FUNC [--wrt a,b] [--ir]`."""
import argparse
import importlib.util
import os
import sys

from . import codegen
from .api import GradientFunction, _wrt_indices
from .errors import SctError
from .pipeline import compile_function


def _load_function(target):
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise SystemExit(f"sct: expected FILE.py:FUNCTION, got {target!r}")
    if not os.path.isfile(path):
        raise SystemExit(f"sct: no such file: {path}")
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.modules[spec.name] = module  # as an import would: dataclasses and inspect look the module up there
    try:
        spec.loader.exec_module(module)
    except SystemExit:
        raise
    except Exception as e:
        raise SystemExit(f"sct: importing {path} failed: {type(e).__name__}: {e}")
    fn = module
    for part in name.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise SystemExit(f"sct: {path} has no function {name!r}")
    if isinstance(fn, GradientFunction):
        fn = fn.fn
    if not callable(fn):
        raise SystemExit(f"sct: {path}:{name} is not a function")
    return fn


def main(argv=None):
    parser = argparse.ArgumentParser(prog="sct", description="sct: source-to-source automatic "
                                     "differentiation for Python and NumPy.")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the generated gradient of a function")
    show.add_argument("target", metavar="FILE.py:FUNC")
    show.add_argument("--wrt", default=None,
                      help="comma-separated argument names or indices (default: the first argument)")
    show.add_argument("--ir", action="store_true", help="print the SSA IR after each stage instead")
    args = parser.parse_args(argv)

    fn = _load_function(args.target)
    wrt = 0
    if args.wrt:
        parts = [int(p) if p.strip().lstrip("-").isdigit() else p.strip() for p in args.wrt.split(",")]
        wrt = tuple(parts) if len(parts) > 1 else parts[0]
    try:
        indices, return_tuple = _wrt_indices(fn, wrt)
        compiled = compile_function(fn, indices, codegen.GRAD, return_tuple, keep_stages=args.ir)
    except SctError as e:
        print(f"sct: {e}", file=sys.stderr)
        return 1
    if args.ir:
        for stage, text in compiled.stages.items():
            print(f"# --- IR after {stage}")
            print(text)
            print()
    else:
        print(compiled.source, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
