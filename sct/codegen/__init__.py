"""Codegen: IR -> readable Python source -> compiled function."""
from .emit import generate, GeneratedCode, GRAD, VALUE_AND_GRAD, VJP
from .compile import compile_generated
