"""The privacy page, served at GET /privacy (skill/webapp.py) and linked from skill.json as the
skill's privacy policy (skill/interaction_model.py). Plain HTML, no scripts, no third-party assets.

Keep it true: what it says is what skill/session_state.py stores and handlers/privacy.py deletes.
"""
from __future__ import annotations

from .interaction_model import INVOCATION_NAME, SKILL_NAME
from .session_state import MAX_EVENTS, MAX_HISTORY

PRIVACY_HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{SKILL_NAME}: privacy</title>
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}</style>
</head>
<body>
<h1>{SKILL_NAME}: privacy</h1>

<h2>What is stored</h2>
<p>For each Alexa user, one record, keyed by the user id Alexa gives the skill (an anonymous id
Amazon makes for this skill; the skill never learns your name, email address or voice recording):</p>
<ul>
<li>your place in the routine (which routine, which exercise and set, and the audio version's position);</li>
<li>your pace and level (slower or faster, easier or harder);</li>
<li>the history of your sessions: when you finished one, at which level and pace (the last {MAX_HISTORY});</li>
<li>your pain reports: when you said something hurts, where in the routine, and what you said about it,
as Alexa heard it (the last {MAX_EVENTS}). This is health information.</li>
</ul>
<p>It is used only to guide you: to pick up where you stopped, to keep your pace and level, to say how
many sessions you have done, and to be careful after a pain report.</p>

<h2>Where</h2>
<p>On the skill's own server, in its database (a SQLite file, or an Amazon DynamoDB table when the skill
runs on AWS Lambda). The server logs identify a user only by a short one-way hash of the user id, and
never record what you said.</p>

<h2>For how long</h2>
<p>Until you delete it, or disable the skill. There is no other expiry.</p>

<h2>How to delete it</h2>
<p>Say <strong>"Alexa, ask {INVOCATION_NAME} to forget my progress"</strong>, and answer yes when asked
if you are sure: your place, your settings and your history are deleted for good.
Disabling the skill in the Alexa app deletes them too.</p>

<h2>Third parties</h2>
<p>No third parties: nothing is sold, shared or used for advertising. Amazon carries the conversation
between your device and the skill, under Amazon's own privacy notice.</p>

<p>This skill is not medical advice. Stop on sharp or spreading pain and talk to a doctor or physiotherapist.</p>
</body>
</html>
"""
