"""IR -> IR transforms: reverse mode and clean-up passes."""
from .reverse import reverse, SEED_SCALAR, SEED_COTANGENT
from .optimize import optimize
