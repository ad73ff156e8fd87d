"""Problems: domains, conditions, derivatives and the zoo of PDEs."""
from . import zoo
from .conditions import Condition, Data, Dirichlet, Initial, Neumann, Periodic
from .derivatives import Derivatives, gradient, laplacian, partial
from .domains import Box, Interval, Rectangle, TimeDomain
from .problem import GridReference, Parameter, ParameterRangeWarning, Parameters, Problem, UnknownParameterError

__all__ = [
    "zoo", "Condition", "Data", "Dirichlet", "Initial", "Neumann", "Periodic", "Derivatives",
    "gradient", "laplacian", "partial", "Box", "Interval", "Rectangle", "TimeDomain",
    "GridReference", "Parameter", "ParameterRangeWarning", "Parameters", "Problem", "UnknownParameterError",
]
