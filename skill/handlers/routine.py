"""Moving through the routine: start, next ("I'm ready"), previous, repeat, start over, resume, skip,
go to, and the introduction on request."""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph import navigation
from routine_graph.words import number_words

from ..routines import Course, find_exercise
from ..session_state import QUESTION_START_OVER
from ..speech import BODY_AUDIO_BUDGET, BODY_CHAR_BUDGET, esc
from .audio_flow import leave_audio
from .base import IntentHandler, Turn
from .flow import (REPROMPT_GO_ON, CourseHandler, carry_on_target, finished_line, go_on, no_routines, not_started,
                   play, start_run, where_phrase)

_NUMBER_WORDS = {number_words(n): n for n in range(1, 101)}


class StartRoutineHandler(IntentHandler):
    """'start', 'start {routine}', 'begin the {routine} routine'."""

    intent_name = "StartRoutineIntent"

    def respond(self, turn: Turn) -> Response:
        library, state = turn.deps.library, turn.state
        resolved, spoken = turn.slot("routine")
        if resolved or spoken:
            wanted = resolved if library.get(resolved) is not None else library.find(spoken or resolved)
            if wanted is None:
                titles = [esc(library.get(rid).title) for rid in library.ids()]
                if not titles:
                    return no_routines(turn)
                return turn.reply(
                    f"I don't know a routine called {esc(spoken or resolved)}. I can guide you through "
                    f"{' or '.join(titles)}. Which would you like?",
                    "Which routine would you like? Say, for example, start " + titles[0] + ".",
                )
            if wanted != state.routine:
                turn.course()  # let a vanished previous routine be noticed before switching
                state.routine, state.place, state.run_started = wanted, None, None
                course = turn.refresh_course()
                return start_run(turn, course, lead=f"Let's begin {esc(course.graph.title)}.")
        course = turn.course()
        if course is None:
            return no_routines(turn)
        if state.pending_question(turn.session_id) == QUESTION_START_OVER:
            return start_run(turn, course)  # "Would you like to start from the beginning?" - "Start."
        if state.in_progress and not turn.routine_changed:
            target = carry_on_target(turn, course)
            if state.played_this_session(turn.session_id):
                # "When you're in position, say next to start set one." - "Start."
                return play(turn, course, *target)
            return play(turn, course, *target, "Let's carry on where you left off. You can say start over at any time to begin again.")
        return start_run(turn, course)


class NextHandler(CourseHandler):
    intent_name = "AMAZON.NextIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        return go_on(turn, course)


class ReadyHandler(NextHandler):
    """'I'm ready', 'done', 'okay I'm in position': the same as next, whatever the state."""

    intent_name = "ReadyIntent"


class PreviousHandler(CourseHandler):
    intent_name = "AMAZON.PreviousIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        place = turn.state.place
        if place is None:
            return not_started(turn, course)
        target = course.previous_place(*course.clamp(place.block, place.part))
        if target is None:
            return turn.reply("We're at the very beginning, so there's nothing before this. "
                              "Say repeat to hear it again, or next to go on.",
                              "Say repeat to hear it again, or next to go on.")
        return play(turn, course, *target, lead="Going back.")


class RepeatHandler(CourseHandler):
    intent_name = "AMAZON.RepeatIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        place = turn.state.place
        if place is None:
            return not_started(turn, course)
        return play(turn, course, place.block, place.part, "Once more.")


class StartOverHandler(CourseHandler):
    intent_name = "AMAZON.StartOverIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        return start_run(turn, course, lead="Okay, from the beginning.")


class ResumeHandler(CourseHandler):
    intent_name = "AMAZON.ResumeIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        state = turn.state
        if not state.in_progress or turn.routine_changed:
            if state.place is not None and state.place.finished:
                return finished_line(turn)
            return not_started(turn, course)
        return play(turn, course, *carry_on_target(turn, course), "Let's carry on.")


class SkipExerciseHandler(CourseHandler):
    """'skip this exercise', and 'skip the intro' (in the introduction, or before starting)."""

    intent_name = "SkipExerciseIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        place = turn.state.place
        graph = course.graph
        if not turn.state.in_progress or turn.routine_changed:
            first = navigation.goto_exercise(graph, 1)
            if first is None:
                return not_started(turn, course)
            return start_run(turn, course, first, "Okay, straight to the first exercise.")
        current = graph.blocks[place.block]
        target = navigation.skip_exercise(graph, place.block)
        if target is None or current.kind == "outro":
            return turn.reply("There's no exercise left to skip: this is the end of the routine. "
                              "Say repeat to hear it again, or stop to finish.",
                              "Say repeat to hear it again, or stop to finish.")
        if current.exercise is None:
            lead = "Okay, straight to the first exercise."
        else:
            lead = f"Okay, we'll skip {esc(graph.exercises[current.exercise - 1].name)}."
        return play(turn, course, target, 0, lead)


class GoToExerciseHandler(CourseHandler):
    """'go to exercise {number}', 'go to {exercise}'."""

    intent_name = "GoToExerciseIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        graph = course.graph
        number = self._number(turn)
        resolved, spoken = turn.slot("exercise")
        info = None
        if number is not None and 1 <= number <= len(graph.exercises):
            info = graph.exercises[number - 1]
        elif number is None:
            info = next((e for e in graph.exercises if resolved and e.id == resolved), None) or find_exercise(graph, spoken)
        if info is None:
            heard = ""
            if number is not None:
                heard = f"There's no exercise {number_words(number)}. "
            elif spoken:
                heard = f"I couldn't find an exercise called {esc(spoken)}. "
            names = "; ".join(f"{number_words(e.number)}, {esc(e.name)}" for e in graph.exercises)
            count = len(graph.exercises)
            return turn.reply(
                f"{heard}This routine has {number_words(count)} exercise{'s' if count > 1 else ''}: {names}. "
                "Which one would you like? Say, for example, go to exercise one.",
                "Say go to exercise, and a number.",
            )
        target = navigation.goto_exercise(graph, info.number)
        lead = f"Okay, exercise {number_words(info.number)}."
        if turn.state.place is None or not turn.state.in_progress or turn.routine_changed:
            return start_run(turn, course, target, lead)
        return play(turn, course, target, 0, lead)

    @staticmethod
    def _number(turn: Turn) -> int | None:
        _, value = turn.slot("number")
        if not value:
            return None
        value = value.strip().lower()
        # isdecimal, not isdigit: '²' is a digit that int() refuses.
        if value.isdecimal() and len(value) <= 3:
            return int(value)
        return _NUMBER_WORDS.get(value)


class IntroHandler(CourseHandler):
    """'play the introduction', 'tell me the safety advice again': the introduction in full, with the
    safety notice. Before a run it starts one; during a run it is an aside that keeps the place."""

    intent_name = "IntroIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        state = turn.state
        if not state.in_progress or turn.routine_changed:
            return start_run(turn, course, full_intro=True)
        graph = course.graph
        place = state.place
        if graph.blocks[place.block].kind == "intro":
            return play(turn, course, place.block, 0, full_intro=True)
        chunks = course.chunks(0)
        where = where_phrase(course, place.block)
        if sum(c.seconds for c in chunks) > BODY_AUDIO_BUDGET or sum(len(c.ssml) for c in chunks) > BODY_CHAR_BUDGET:
            # Too long to say in one reply: it becomes the place, and the user is told how to get back.
            back = graph.blocks[place.block].exercise
            how = f"say go to exercise {number_words(back)}" if back else "say next"
            return play(turn, course, 0, 0, f"Here's the introduction. You were at {where}: to get back there "
                                           f"afterwards, {how}.", full_intro=True)
        # An aside: nothing about the place changes, so "next" (or a pending "shall we carry on?")
        # goes on exactly as it would have before.
        leave_audio(turn)
        state.safety_said_in = turn.session_id
        if state.intro_heard_in is None:
            state.intro_heard_in = turn.session_id
        intro = " ".join(c.ssml for c in chunks)
        return turn.reply(f"Here's the introduction. {intro} That's the introduction. We were at {where}. "
                          "Say next to carry on from there.", REPROMPT_GO_ON)
