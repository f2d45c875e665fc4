"""Moving through the routine: start, next ("I'm ready"), previous, repeat, start over, resume, skip,
go to, and the introduction on request."""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph import navigation
from routine_graph.words import number_words

from ..course_words import where_phrase
from ..routines import Course, find_exercise
from ..session_state import QUESTION_START_OVER
from ..speech import BODY_AUDIO_BUDGET, BODY_CHAR_BUDGET, esc
from .audio_flow import leave_audio
from .base import IntentHandler, Turn
from .flow import (REPROMPT_GO_ON, CourseHandler, carry_on_target, finished_line, go_on, no_routines, not_started,
                   play, start_run)

_NUMBER_WORDS = {number_words(n): n for n in range(1, 101)}


def routine_named(turn: Turn) -> tuple[str | None, str | None]:
    """Which routine the user named in the `routine` slot ("start the back pain routine", "play the
    audio version of ..."): (its id, what they said). (None, None) when they named none; (None, what
    they said) when no routine is called that (answer with `unknown_routine`)."""
    library = turn.deps.library
    resolved, spoken = turn.slot("routine")
    if not (resolved or spoken):
        return None, None
    wanted = resolved if library.get(resolved) is not None else library.find(spoken or resolved)
    return wanted, spoken or resolved


def switch_routine(turn: Turn, wanted: str | None) -> bool:
    """Make `wanted` (from routine_named) the user's routine, from its start, if it is not theirs
    already; turn.course() is then its course. Did it switch?"""
    state = turn.state
    if wanted is None or wanted == state.routine:
        return False
    turn.course()  # let a vanished previous routine be noticed before switching
    state.routine, state.place, state.run_started = wanted, None, None
    turn.refresh_course()
    return True


def unknown_routine(turn: Turn, said: str, offer: str, example: str) -> Response:
    """'I don't know a routine called ...': `offer` ("I can play") the routines there are, and
    reprompt with `example` ("Say, for example, play the audio version of ") and the first title."""
    library = turn.deps.library
    titles = [esc(library.get(rid).title) for rid in library.ids()]
    if not titles:
        return no_routines(turn)
    return turn.reply(f"I don't know a routine called {esc(said)}. {offer} {' or '.join(titles)}. Which would you like?",
                      f"{example}{titles[0]}.")


class StartRoutineHandler(IntentHandler):
    """'start', 'start {routine}', 'begin the {routine} routine'."""

    intent_name = "StartRoutineIntent"

    def respond(self, turn: Turn) -> Response:
        state = turn.state
        wanted, said = routine_named(turn)
        if said and wanted is None:
            return unknown_routine(turn, said, "I can guide you through",
                                   "Which routine would you like? Say, for example, start ")
        switched = switch_routine(turn, wanted)
        course = turn.course()
        if switched:
            return start_run(turn, course, lead=f"Let's begin {esc(course.graph.title)}.")
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


class _MoveHandler(CourseHandler):
    """Previous and repeat: give the part that a navigation move (`move`) makes of the user's place."""

    lead = ""

    def move(self, course: Course, block: int, part: int) -> navigation.Cursor | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def respond_with(self, turn: Turn, course: Course) -> Response:
        place = turn.state.place
        if place is None:
            return not_started(turn, course)
        target = self.move(course, place.block, place.part)
        if target is None:  # only going back, from the very beginning
            return turn.reply("We're at the very beginning, so there's nothing before this. "
                              "Say repeat to hear it again, or next to go on.",
                              "Say repeat to hear it again, or next to go on.")
        return play(turn, course, *target, self.lead)


class PreviousHandler(_MoveHandler):
    intent_name = "AMAZON.PreviousIntent"
    lead = "Going back."

    def move(self, course: Course, block: int, part: int) -> navigation.Cursor | None:
        return course.previous_place(block, part)


class RepeatHandler(_MoveHandler):
    intent_name = "AMAZON.RepeatIntent"
    lead = "Once more."

    def move(self, course: Course, block: int, part: int) -> navigation.Cursor:
        return course.repeat(block, part)


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
        target = navigation.skip_exercise(graph, place.block)
        if target is None:  # in the finish (or the last exercise of a routine without one)
            return turn.reply("There's no exercise left to skip: this is the end of the routine. "
                              "Say repeat to hear it again, or stop to finish.",
                              "Say repeat to hear it again, or stop to finish.")
        skipped = navigation.where(graph, place.block).exercise
        lead = f"Okay, we'll skip {esc(skipped.name)}." if skipped else "Okay, straight to the first exercise."
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
