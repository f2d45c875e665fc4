"""Load, validate and expand routine files into the routine graph that the audio builder and the
skill both follow."""
from .errors import Problem, RoutineError, UnknownLevelError, UnknownRoutineError
from .expand import expand, reps_for_level
from .graph import Block, ExerciseInfo, Graph, Position, Step
from .loader import load_routine
from .model import Routine

__all__ = [
    "Block", "ExerciseInfo", "Graph", "Position", "Problem", "Routine", "RoutineError", "Step",
    "UnknownLevelError", "UnknownRoutineError", "expand", "load_routine", "reps_for_level",
]
