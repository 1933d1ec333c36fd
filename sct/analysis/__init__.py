"""Analyses over the SSA IR: activity and static shape classes."""
from .activity import active_values, differentiable, flat_vars
from .shapes import ShapeClasses, SCALAR
