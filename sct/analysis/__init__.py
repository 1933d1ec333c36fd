"""Analyses over the SSA IR: activity and static shape facts."""
from .activity import active_values, differentiable, flat_vars
from .shapes import ShapeClasses, Structure, SCALAR, PYTHON_NUMBER, shape_of_value, is_elementwise
