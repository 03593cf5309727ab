// A typed client for the Counsel API: openapi-fetch over the types openapi-typescript generates
// from the OpenAPI schema (src/schema.d.ts, never edited by hand), plus what a schema cannot
// say: logging in with a JWT, refreshing it on a 401, and reading the chat's event stream.
import createClient, { type Client } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";
import { chatStreamEvents, type ChatStreamEvent } from "./stream.js";

export type { components, operations, paths } from "./schema.js";
export { chatStreamEvents, serverSentEvents } from "./stream.js";
export type { ChatStreamEvent, ServerSentEvent } from "./stream.js";

/** The media types `api` reads: JSON answers and problem details (RFC 9457) for errors; the
 * chat's event stream is `chatStream`'s. */
export type JsonMedia = "application/json" | "application/problem+json";

/** The schema's named shapes: `Schemas["ChatRequest"]`, `Schemas["DraftStatus"]`... */
export type Schemas = components["schemas"];

export interface Tokens {
  access: string;
  refresh: string;
}

export interface CounselClientOptions {
  /** Where Counsel is served, e.g. "https://counsel.example.org" ("" in a page it serves). */
  baseUrl: string;
  /** Tokens kept from an earlier login. */
  tokens?: Tokens | null;
  /** Told of every new pair of tokens (a login, a refresh) and of a logout (null). */
  onTokens?: (tokens: Tokens | null) => void;
  /** Another fetch (tests, a server-side runtime); globalThis.fetch by default. */
  fetch?: (request: Request) => Promise<Response>;
}

/** An answer other than 2xx, with the body the server sent (JSON, or text). */
export class CounselApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly response: Response,
  ) {
    super(`Counsel answered ${status}: ${describe(body)}`);
    this.name = "CounselApiError";
  }

  static async of(response: Response): Promise<CounselApiError> {
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the text as it came.
    }
    return new CounselApiError(response.status, body, response);
  }
}

/** A streamed chat answer: its events (an async iterator) and the conversation it joined. */
export interface ChatStream extends AsyncIterable<ChatStreamEvent> {
  readonly conversationId: number | null;
  readonly response: Response;
}

// Paths whose 401 is an answer about the credentials sent, not an expired access token.
const AUTH_PATHS = ["/api/auth/login", "/api/auth/refresh", "/api/auth/logout"];

/**
 * The Counsel API for a frontend:
 *
 *     const counsel = new CounselClient({ baseUrl: "https://counsel.example.org" });
 *     await counsel.login({ username, password });
 *     const { data, error } = await counsel.api.POST("/api/ai/chat", { body: { userId, message } });
 *     for await (const event of await counsel.chatStream({ userId, message })) { ... }
 *
 * `api` is openapi-fetch's client, typed by the schema (JSON bodies; `error` is the documented
 * problem, `Schemas["Problem"]` or `Schemas["ValidationProblem"]`): every path, parameter and
 * body is checked by the compiler. The access token goes on every request; a 401 refreshes
 * the tokens once and sends the request again.
 */
export class CounselClient {
  readonly api: Client<paths, JsonMedia>;
  private tokens: Tokens | null;
  private refreshing: Promise<boolean> | null = null;
  private readonly baseUrl: string;
  private readonly baseFetch: (request: Request) => Promise<Response>;
  private readonly onTokens: (tokens: Tokens | null) => void;

  constructor(options: CounselClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.tokens = options.tokens ?? null;
    this.onTokens = options.onTokens ?? (() => undefined);
    this.baseFetch = options.fetch ?? ((request) => globalThis.fetch(request));
    this.api = createClient<paths, JsonMedia>({
      baseUrl: this.baseUrl,
      fetch: (request) => this.send(request),
    });
  }

  get isLoggedIn(): boolean {
    return this.tokens !== null;
  }

  /** Log in (staff give `otp` too); the tokens are kept for the next requests. */
  async login(body: Schemas["LoginRequest"]): Promise<Tokens> {
    const { data, response } = await this.api.POST("/api/auth/login", { body });
    if (!data) throw await CounselApiError.of(response);
    this.setTokens({ access: data.access, refresh: data.refresh });
    return data;
  }

  /** Log out: the login's refresh tokens stop working, and the client forgets its tokens. */
  async logout(): Promise<void> {
    const refresh = this.tokens?.refresh;
    this.setTokens(null);
    if (!refresh) return;
    const { response } = await this.api.POST("/api/auth/logout", { body: { refresh } });
    if (!response.ok && response.status !== 401) throw await CounselApiError.of(response);
  }

  /** Trade the refresh token for new tokens; false (and logged out) when it is refused. */
  refresh(): Promise<boolean> {
    // One refresh at a time: a refresh token is spent by its first use.
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Ask the assistant, the answer streamed: `delta` events, then one `done` or `error`.
   * Errors before the stream starts (400, 403, 404, 429, 503) throw a CounselApiError.
   * Breaking out of the loop, or `signal`, stops the answer. */
  async chatStream(
    body: Schemas["ChatRequest"],
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<ChatStream> {
    const request = new Request(`${this.baseUrl}/api/ai/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal: signal ?? null,
    });
    const response = await this.send(request);
    const type = response.headers.get("Content-Type") ?? "";
    if (!response.ok || !type.startsWith("text/event-stream") || !response.body) {
      throw await CounselApiError.of(response);
    }
    const events = response.body;
    const conversation = response.headers.get("X-Conversation-Id");
    return {
      conversationId: conversation === null ? null : Number(conversation),
      response,
      [Symbol.asyncIterator]: () => chatStreamEvents(events),
    };
  }

  /** Poll a draft job (generate-document's 202) until it is no longer queued or running. */
  async waitForDraft(
    draftId: number,
    { intervalMs = 500, timeoutMs = 120_000 }: { intervalMs?: number; timeoutMs?: number } = {},
  ): Promise<Schemas["DraftStatus"]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { data, response } = await this.api.GET("/api/ai/drafts/{draftId}", {
        params: { path: { draftId } },
      });
      if (!data) throw await CounselApiError.of(response);
      if (data.status !== "queued" && data.status !== "running") return data;
      if (Date.now() > deadline) throw new Error(`Draft ${draftId} is still ${data.status}.`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  private async send(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (!this.tokens || AUTH_PATHS.includes(path)) return this.baseFetch(request);
    const again = request.clone(); // the body can be read once
    const response = await this.baseFetch(this.authorized(request));
    if (response.status !== 401 || !(await this.refresh())) return response;
    await response.body?.cancel();
    return this.baseFetch(this.authorized(again));
  }

  private authorized(request: Request): Request {
    if (this.tokens) request.headers.set("Authorization", `Bearer ${this.tokens.access}`);
    return request;
  }

  private async refreshOnce(): Promise<boolean> {
    const refresh = this.tokens?.refresh;
    if (!refresh) return false;
    const { data } = await this.api.POST("/api/auth/refresh", { body: { refresh } });
    this.setTokens(data ? { access: data.access, refresh: data.refresh } : null);
    return data !== undefined;
  }

  private setTokens(tokens: Tokens | null): void {
    this.tokens = tokens;
    this.onTokens(tokens);
  }
}

/** The operation ids of the schema, for documentation and logging. */
export type OperationId = keyof operations;

function describe(body: unknown): string {
  if (typeof body === "object" && body !== null && "detail" in body) {
    return String(body.detail);
  }
  return typeof body === "string" ? body.slice(0, 200) : JSON.stringify(body);
}
