// Runs the client against a live Counsel: log in, chat (JSON and streamed), analyze, draft in
// the request and as a job (polled to its end), refresh an expired access token, log out.
// tests/clients/test_typescript_client.py runs it against the production server:
//
//     COUNSEL_URL=http://127.0.0.1:8000 COUNSEL_USERNAME=... COUNSEL_PASSWORD=... \
//     node dist/scripts/live.js
//
// It prints one line per step and exits non-zero at the first surprise.
import assert from "node:assert/strict";

import { CounselClient, type Schemas, type Tokens } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const baseUrl = env("COUNSEL_URL");
// An NDA's inputs, checked by the compiler against the type's own schema (NdaInputs).
const ndaInputs: Schemas["NdaInputs"] = {
  partyAName: "Northwind Analytics Ltd",
  partyAAddress: "4 Castle Street, Edinburgh EH2 3AH, United Kingdom",
  partyBName: "Harbour Lane Robotics Inc.",
  partyBAddress: "200 Park Avenue, Suite 1700, New York, NY 10166, United States",
  effectiveDate: "2026-12-01",
  purpose: "evaluating a possible collaboration on warehouse robots",
  termYears: 2,
  confidentialityYears: 5,
  governingLaw: "England and Wales",
};
// The tokens the client reports, as an app would keep them (say, in sessionStorage).
const kept: { tokens: Tokens | null } = { tokens: null };
const keep = (tokens: Tokens | null): void => {
  kept.tokens = tokens;
};
const counsel = new CounselClient({ baseUrl, onTokens: keep });

function step(name: string, detail: unknown): void {
  console.log(`${name}: ${JSON.stringify(detail)}`);
}

const tokens = await counsel.login({
  username: env("COUNSEL_USERNAME"),
  password: env("COUNSEL_PASSWORD"),
});
assert.deepEqual(kept.tokens, tokens);
step("login", { access: tokens.access.length > 0 });

const me = await counsel.api.GET("/api/auth/me");
assert.ok(me.data, `me: ${me.response.status}`);
const userId = me.data.id;
step("me", { id: userId, role: me.data.role });

// Only the contract's required keys: locale has a default, so it may be left out.
const chat = await counsel.api.POST("/api/ai/chat", {
  body: { userId, message: "What should a mutual NDA cover?" },
});
assert.ok(chat.data, `chat: ${chat.response.status} ${JSON.stringify(chat.error)}`);
const answer: string = chat.data.answer;
assert.ok(answer.length > 0);
const conversationId = Number(chat.response.headers.get("X-Conversation-Id"));
assert.ok(conversationId > 0);
step("chat", { answer: answer.slice(0, 40), tokensUsed: chat.data.tokensUsed });

const refused = await counsel.api.POST("/api/ai/chat", {
  body: { userId: String(Number(userId) + 1000), message: "Someone else's question." },
});
assert.equal(refused.response.status, 403);
assert.ok(refused.error);
// Errors are problem details (RFC 9457), typed: branch on status and type, show detail.
const problem: Schemas["Problem"] | Schemas["ValidationProblem"] = refused.error;
assert.equal(problem.status, 403);
assert.equal(refused.response.headers.get("Content-Type"), "application/problem+json");
step("chat as another user", { status: problem.status, detail: problem.detail });

const stream = await counsel.chatStream({
  userId,
  message: "And how long should it last?",
  context: { conversationId },
});
assert.equal(stream.conversationId, conversationId);
let streamed = "";
let finished: Schemas["ChatStreamDone"] | null = null;
for await (const event of stream) {
  switch (event.type) {
    case "delta":
      streamed += event.delta;
      break;
    case "done":
      finished = { tokensUsed: event.tokensUsed, cached: event.cached };
      break;
    case "error":
      assert.fail(`the stream broke off: ${event.detail}`);
  }
}
assert.ok(finished, "no done event");
assert.ok(streamed.length > 0);
step("chat stream", { streamed: streamed.slice(0, 40), ...finished });

const analysis = await counsel.api.POST("/api/ai/analyze", {
  body: {
    text: "The Recipient shall keep the information secret in perpetuity.",
    policy: "nda",
  },
});
assert.ok(analysis.data, `analyze: ${analysis.response.status} ${JSON.stringify(analysis.error)}`);
const riskLevel: "low" | "medium" | "high" = analysis.data.riskLevel;
assert.ok(analysis.data.findings.length > 0);
step("analyze", { riskLevel, findings: analysis.data.findings.length });

const drafted = await counsel.api.POST("/api/ai/generate-document", {
  body: { type: "nda", inputs: ndaInputs },
});
assert.ok(drafted.data, `generate: ${drafted.response.status} ${JSON.stringify(drafted.error)}`);
assert.equal(drafted.response.status, 200);
assert.ok("draftText" in drafted.data);
assert.ok(drafted.data.draftText.length > 0);
const headings = Object.values(drafted.data.sections ?? {}).map((section) => section.heading);
assert.ok(headings.length > 0);
step("generate-document", {
  length: drafted.data.draftText.length,
  headings,
  location: drafted.response.headers.get("Location"),
});

const job = await counsel.api.POST("/api/ai/generate-document", {
  body: { type: "nda", inputs: ndaInputs, tone: "formal", async: true },
});
assert.ok(job.data, `generate async: ${job.response.status} ${JSON.stringify(job.error)}`);
assert.equal(job.response.status, 202);
assert.ok("draftId" in job.data);
const accepted: Schemas["DraftAccepted"] = job.data;
assert.equal(job.response.headers.get("Location"), accepted.statusUrl);
const status = await counsel.waitForDraft(accepted.draftId, { intervalMs: 200 });
assert.equal(status.status, "drafted", JSON.stringify(status));
assert.ok(status.result && status.result.draftText.length > 0);
step("generate-document async", { draftId: accepted.draftId, status: status.status });

// An access token the server refuses: one refresh, then the request again, transparently.
const expired = new CounselClient({
  baseUrl,
  tokens: { access: "expired", refresh: tokens.refresh },
  onTokens: keep,
});
const again = await expired.api.GET("/api/auth/me");
assert.ok(again.data, `refresh: ${again.response.status}`);
assert.equal(again.data.id, userId);
assert.ok(kept.tokens && kept.tokens.refresh !== tokens.refresh);
step("refresh on 401", { id: again.data.id });

await expired.logout();
assert.equal(kept.tokens, null);
assert.equal(await expired.refresh(), false);
step("logout", { loggedIn: expired.isLoggedIn });
console.log("live: all steps passed");
