#!/usr/bin/env node
/*
 * Test driver around Bespoken's virtual-alexa (pinned in package.json): reads ONE JSON job on stdin,
 * prints ONE JSON result on stdout; on a bad job, or anything else that stops the job, prints a
 * message on stderr and exits non-zero.
 *
 *   {"mode": "match", "model": PATH, "utterances": ["next", ...]}
 *     -> [{"utterance", "intent" (name, "LaunchRequest", "SessionEndedRequest", or null when nothing
 *          matched), "slots": {name: value}, "launch": bool, "oneShot": bool}]
 *     virtual-core's matching against the model as virtual-alexa loads it; no skill is called.
 *
 *   {"mode": "converse", "model": PATH, "skillURL": URL,
 *    "conversations": [{"userId": ID, "steps": ["open my back routine", "start", ...],
 *                       "stopWhenEnded": false}],
 *    "concurrency": 4, "stepTimeoutMs": 20000}
 *     -> [{"userId", "steps": [{"say", "intent", "slots", "fallback", "ssml", "reprompt", "ended"}]}]
 *     One VirtualAlexa per conversation, posting unsigned requests to skillURL (serve the skill with
 *     --no-verify). A step whose request fails gets "error" and ends that conversation.
 *
 * How a line becomes a request, and why virtual-alexa's own `utter()` is used for none of it:
 *   - utter() takes any line with "ask", "open", "launch", "talk to" or "tell" anywhere in it (even
 *     inside a word) for a launch, so "tell me how to do this" or "what's the task" becomes a
 *     LaunchRequest, or the text after the last " to " ("do this"). Here a launch needs the
 *     invocation name: "[open|launch|talk to|ask|tell] <invocation>" is a LaunchRequest (sent with
 *     alexa.launch(), as utter() does); "<ask|tell|open|launch|talk to> <invocation>
 *     [to|for|about|if|whether|and] <rest>" is <rest> matched as below, and sent in the open
 *     session, or a new one when none is open (as virtual-alexa does).
 *   - utter() throws "Unable to match utterance" where a device whose model has
 *     AMAZON.FallbackIntent sends that intent; here a line nothing matches is sent as
 *     AMAZON.FallbackIntent ("fallback": true).
 *   - everything else: virtual-core's Utterance against alexa.context().interactionModel() (the
 *     model's samples plus virtual-alexa's phrases for the built-in intents the model declares),
 *     then alexa.request().intent(name).slots(utterance.toJSON()).send(), exactly what utter()
 *     does after its launch test, so slot values and entity resolution are virtual-alexa's.
 *   - "exit" is a SessionEndedRequest (USER_INITIATED), as in utter() and on a device.
 * A line is first made what speech recognition hands over: lowercase words, no "Alexa," and no
 * punctuation but apostrophes. A job matches each distinct line once (the answer depends on the
 * model and the line only) and each conversation still has its own VirtualAlexa, session and user.
 */
"use strict";

const fs = require("fs");
const path = require("path");

function fail(message, code = 2) {
    process.stderr.write(`drive.js: ${message}\n`);
    process.exit(code);
}

// virtual-alexa loads aws-sdk v2 (for its DynamoDB mock), which prints an end-of-support notice.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

let VirtualAlexa, Utterance;
try {
    VirtualAlexa = require("virtual-alexa").VirtualAlexa;
    // The very virtual-core copy virtual-alexa itself loads (it is virtual-alexa's dependency, not ours).
    const vaDir = path.dirname(require.resolve("virtual-alexa/package.json"));
    const coreMain = require.resolve("virtual-core", { paths: [vaDir] });
    Utterance = require(coreMain).Utterance;
    // Speed only, same answers: virtual-core compiles every sample's RegExp anew for every line it
    // matches (~16k samples in this skill's model); compile each sample's once. The RegExp has no
    // g or y flag, so a shared one keeps no state between matches.
    const { SamplePhrase } = require(path.join(path.dirname(coreMain), "SampleUtterances.js"));
    const compile = SamplePhrase.prototype.regex;
    SamplePhrase.prototype.regex = function regex() {
        if (!this._driveRegex) {
            this._driveRegex = compile.call(this);
        }
        return this._driveRegex;
    };
} catch (error) {
    fail(`virtual-alexa is not installed (${error.message}); run: npm ci --prefix tests/emulator`);
}

const FALLBACK = "AMAZON.FallbackIntent";
const CONNECTORS = ["to", "for", "about", "if", "whether", "and"];
const ONE_SHOT_VERBS = ["ask", "tell", "open", "launch", "talk to"];
const LAUNCH_VERBS = ["open", "launch", "talk to", "ask", "tell"];

function escapeRegex(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Lowercase words, "Alexa," dropped, punctuation but apostrophes gone: what speech recognition hands over. */
function spoken(line) {
    return String(line).toLowerCase().replace(/[\u2018\u2019]/g, "'").replace(/^\s*alexa[\s,]+/, "")
        .replace(/[^a-z0-9' ]+/g, " ").split(/\s+/).filter(Boolean).join(" ");
}

/**
 * interpret(line) -> what the device sends for it: {kind: "launch"|"end"|"intent", intent (null when
 * nothing matched), slots, launch, oneShot}. Matching is a function of the model and the line alone,
 * so one interpreter (on its own VirtualAlexa's model) serves every conversation of a job, and
 * remembers each line it has matched.
 */
function makeInterpreter(modelPath) {
    const { alexa, invocation: invocationName } = makeAlexa(modelPath);
    const model = alexa.context().interactionModel();
    const invocation = spoken(invocationName);
    const inv = escapeRegex(invocation);
    const launchRe = new RegExp(`^(?:(?:${LAUNCH_VERBS.join("|")}) )?${inv}$`);
    const oneShotRe = new RegExp(`^(?:${ONE_SHOT_VERBS.join("|")}) ${inv} (?:(?:${CONNECTORS.join("|")}) )?(.+)$`);
    const hasFallback = model.hasIntent(FALLBACK);
    const memo = new Map();

    function heard(text) {
        if (text === "exit") {
            return { kind: "end", intent: "SessionEndedRequest", slots: {}, launch: false, oneShot: false };
        }
        if (invocation && launchRe.test(text)) {
            return { kind: "launch", intent: "LaunchRequest", slots: {}, launch: true, oneShot: false };
        }
        let rest = text;
        let oneShot = false;
        const m = invocation ? oneShotRe.exec(text) : null;
        if (m) {
            rest = m[1];
            oneShot = true;
        }
        const utterance = new Utterance(model, rest);
        if (utterance.matched()) {
            return { kind: "intent", intent: utterance.intent(), slots: utterance.toJSON(), launch: false, oneShot };
        }
        return { kind: "intent", intent: null, slots: {}, launch: false, oneShot };
    }

    const interpret = function interpret(line) {
        const text = spoken(line);
        if (!memo.has(text)) {
            memo.set(text, JSON.stringify(heard(text)));
        }
        return JSON.parse(memo.get(text)); // a copy: callers may change theirs
    };
    interpret.hasFallback = hasFallback;
    return interpret;
}

const modelTexts = new Map();

/** The model document, parsed anew for each caller (virtual-alexa writes into the one it is given). */
function loadModelDocument(modelPath) {
    if (typeof modelPath !== "string" || !modelPath) {
        throw new Error('"model" must be the path of an interaction model JSON file');
    }
    let document;
    try {
        if (!modelTexts.has(modelPath)) {
            modelTexts.set(modelPath, fs.readFileSync(modelPath, "utf8"));
        }
        document = JSON.parse(modelTexts.get(modelPath));
    } catch (error) {
        throw new Error(`cannot read the interaction model ${modelPath}: ${error.message}`);
    }
    const language = (document.interactionModel || document).languageModel || document;
    return { document, invocation: language.invocationName || "" };
}

function makeAlexa(modelPath, skillURL, userId) {
    const { document, invocation } = loadModelDocument(modelPath);
    const alexa = VirtualAlexa.Builder()
        .interactionModel(document)
        .skillURL(skillURL || "http://127.0.0.1:9/unused")
        .locale("en-US")
        .create();
    if (userId) {
        alexa.context().user().setID(String(userId));
    }
    return { alexa, invocation };
}

function match(job) {
    if (!Array.isArray(job.utterances) || !job.utterances.every((x) => typeof x === "string")) {
        throw new Error('"utterances" must be a list of strings');
    }
    const interpret = makeInterpreter(job.model);
    return job.utterances.map((utterance) => {
        const heard = interpret(utterance);
        return { utterance, intent: heard.intent, slots: heard.slots, launch: heard.launch, oneShot: heard.oneShot };
    });
}

function withDeadline(promise, ms, what) {
    let timer;
    const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms to ${what}`)), ms);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function converseOne(job, interpret, conversation) {
    const { alexa } = makeAlexa(job.model, job.skillURL, conversation.userId);
    const stepTimeoutMs = job.stepTimeoutMs || 20000;
    const steps = [];
    for (const say of conversation.steps) {
        const heard = interpret(say);
        const step = { say, intent: heard.intent, slots: heard.slots, fallback: false, ssml: "", reprompt: "", ended: false };
        steps.push(step);
        let pending;
        if (heard.kind === "end") {
            pending = () => alexa.endSession();
        } else if (heard.kind === "launch") {
            pending = () => alexa.launch();
        } else if (heard.intent === null) {
            if (!interpret.hasFallback) {
                step.error = `nothing in the model matches ${JSON.stringify(say)} and it has no ${FALLBACK}`;
                break;
            }
            step.intent = FALLBACK;
            step.fallback = true;
            pending = () => alexa.request().intent(FALLBACK).send();
        } else {
            pending = () => alexa.request().intent(heard.intent).slots(heard.slots).send();
        }
        let reply;
        try {
            reply = await withDeadline(Promise.resolve().then(pending), stepTimeoutMs, JSON.stringify(say));
        } catch (error) {
            step.error = error instanceof Error ? error.message : String(error);
            break;
        }
        const response = (reply && reply.response) || {};
        step.ssml = (response.outputSpeech && (response.outputSpeech.ssml || response.outputSpeech.text)) || "";
        const reprompt = response.reprompt && response.reprompt.outputSpeech;
        step.reprompt = (reprompt && (reprompt.ssml || reprompt.text)) || "";
        // A SessionEndedRequest has no reply to speak and always closes the session.
        step.ended = heard.kind === "end" || response.shouldEndSession === true;
        if (step.ended && conversation.stopWhenEnded) {
            break;
        }
    }
    return { userId: alexa.context().user().id(), steps };
}

async function converse(job) {
    if (typeof job.skillURL !== "string" || !/^https?:\/\//.test(job.skillURL)) {
        throw new Error('"skillURL" must be the http(s) URL of the skill\'s /alexa endpoint');
    }
    if (!Array.isArray(job.conversations)) {
        throw new Error('"conversations" must be a list');
    }
    for (const conversation of job.conversations) {
        if (!conversation || !Array.isArray(conversation.steps) || !conversation.steps.every((x) => typeof x === "string")) {
            throw new Error('every conversation needs "steps", a list of strings');
        }
    }
    const interpret = makeInterpreter(job.model); // a bad model fails the job here, before any request
    const results = new Array(job.conversations.length);
    const workers = Math.max(1, Math.min(job.concurrency || 4, job.conversations.length || 1));
    let next = 0;
    await Promise.all(Array.from({ length: workers }, async () => {
        while (next < job.conversations.length) {
            const index = next++;
            results[index] = await converseOne(job, interpret, job.conversations[index]);
        }
    }));
    return results;
}

function readStdin() {
    return new Promise((resolve, reject) => {
        let text = "";
        process.stdin.setEncoding("utf8");
        process.stdin.on("data", (chunk) => { text += chunk; });
        process.stdin.on("end", () => resolve(text));
        process.stdin.on("error", reject);
    });
}

async function main() {
    const text = await readStdin();
    let job;
    try {
        job = JSON.parse(text);
    } catch (error) {
        throw new Error(`stdin is not one JSON job: ${error.message}`);
    }
    if (!job || typeof job !== "object") {
        throw new Error("the job must be a JSON object");
    }
    let result;
    if (job.mode === "match") {
        result = match(job);
    } else if (job.mode === "converse") {
        result = await converse(job);
    } else {
        throw new Error(`unknown mode ${JSON.stringify(job.mode)} (match or converse)`);
    }
    process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
