// The simulated key server of the key-set differential (keysets-differential.test.ts): the verifiers' fetch,
// the true outside edge. It answers as the generated sequence says and records each fetch with what the oracle
// makes of the answer.
import {
  type Answer,
  type DiscoveryAnswer,
  documentOf,
  type Entry,
  keySetText,
  type Pool,
  type VerifierKind,
} from "./keysets-cases.ts";
import { type FetchOutcome, judgeAnswer, judgeDiscovery } from "./keysets-oracle.ts";

export const ISSUER = { spire: "https://spire.demo.ward.internal", cluster: "https://kubernetes.demo.ward.internal" };

export interface Call {
  url: string;
  redirect?: RequestInit["redirect"];
  at: number;
  /** What the oracle makes of the answer: a key set's keys, or a discovery document's jwks_uri. */
  outcome: FetchOutcome;
  jwksUri?: string;
}

/**
 * The key server: answers as `answer` (and, for discovery, `discovery`) says, and records each fetch with what
 * the oracle makes of the answer. A fetch of a URL it does not serve is answered 404 and reported.
 */
export class KeyServer {
  answer?: Answer;
  discovery?: DiscoveryAnswer;
  now = 0;
  readonly calls: Call[] = [];
  private readonly texts = new Map<Answer, string>();
  private readonly pool: Pool;
  private readonly verifier: VerifierKind;
  /** The URL the policy names: the key set, or the discovery document. */
  readonly url: string;
  private readonly index: number;
  constructor(pool: Pool, verifier: VerifierKind, url: string, index: number) {
    this.pool = pool;
    this.verifier = verifier;
    this.url = url;
    this.index = index;
  }

  /** Where the discovery document says the keys are (or the configured URL itself). */
  jwksUrl(): string | undefined {
    if (this.verifier !== "discovery") return this.url;
    const d = this.discovery;
    if (d?.kind !== "doc") return undefined;
    return {
      "same-host": `https://disc-${this.index}.ward-test.internal/jwks`,
      "other-host": `https://keys-elsewhere-${this.index}.ward-test.internal/jwks`,
      http: `http://disc-${this.index}.ward-test.internal/jwks`,
      relative: "/jwks",
      none: undefined,
    }[d.jwksUri];
  }

  private discoveryText(d: Extract<DiscoveryAnswer, { kind: "doc" }>): string {
    const issuer = { same: ISSUER.cluster, slash: `${ISSUER.cluster}/`, other: ISSUER.spire, none: undefined }[
      d.issuer
    ];
    return JSON.stringify({ issuer, jwks_uri: this.jwksUrl(), response_types_supported: ["id_token"] });
  }

  private setText(a: Extract<Answer, { entries: Entry[] }>): string {
    let text = this.texts.get(a);
    if (text === undefined) {
      const junk = a.kind === "keys" ? a.junk : [];
      const pad = a.kind === "keys" ? a.pad : 0;
      const filler = a.kind === "keys" ? a.filler : 0;
      text = keySetText(documentOf(this.pool, a.entries, junk, this.verifier, filler), this.verifier, pad);
      this.texts.set(a, text);
    }
    return text;
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    const call: Call = { url, redirect: init?.redirect, at: this.now, outcome: { ok: false } };
    this.calls.push(call);
    if (this.verifier === "discovery" && url === this.url) return this.answerDiscovery(call);
    if (url !== this.jwksUrl()) return new Response("not found", { status: 404 });
    return this.answerKeys(call, init);
  };

  private answerDiscovery(call: Call): Response {
    const d = this.discovery;
    const json = { "content-type": "application/json" };
    if (!d) return new Response("not found", { status: 404 });
    switch (d.kind) {
      case "throw":
        throw new TypeError("Network connection lost.");
      case "status":
        return d.status === 302
          ? new Response(null, { status: 302, headers: { location: `${this.url}/moved` } })
          : new Response(this.discoveryText({ kind: "doc", issuer: "same", jwksUri: "same-host" }), {
              status: d.status,
              headers: json,
            });
      case "text": {
        const found = judgeDiscovery(200, d.body, ISSUER.cluster);
        if (found.ok) call.jwksUri = found.jwksUri;
        return new Response(d.body, { headers: json });
      }
      case "doc": {
        const text = this.discoveryText(d);
        const found = judgeDiscovery(200, text, ISSUER.cluster);
        if (found.ok) call.jwksUri = found.jwksUri;
        return new Response(text, { headers: json });
      }
    }
  }

  private async answerKeys(call: Call, init: RequestInit | undefined): Promise<Response> {
    const a = this.answer;
    if (!a) return new Response("not found", { status: 404 });
    const bytes = (t: string) => new TextEncoder().encode(t).length;
    switch (a.kind) {
      case "throw":
        throw new TypeError("Network connection lost.");
      case "text":
        call.outcome = judgeAnswer(200, a.body, bytes(a.body));
        return new Response(a.body, { headers: { "content-type": "application/json" } });
      case "status": {
        const text = this.setText(a);
        const body = a.status === 204 ? null : text;
        return new Response(body, { status: a.status, headers: { "content-type": "application/json" } });
      }
      case "redirect": {
        // As fetch does: `manual` hands over the redirect itself; anything else follows it to the keys.
        if (init?.redirect !== "manual") {
          call.outcome = { ok: false };
          return new Response(this.setText(a), { headers: { "content-type": "application/json" } });
        }
        return new Response(null, { status: a.status, headers: { location: `${call.url}?moved` } });
      }
      case "keys": {
        const text = this.setText(a);
        call.outcome = judgeAnswer(200, text, bytes(text));
        if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
        const headers = new Headers();
        if (a.contentType) headers.set("content-type", a.contentType);
        if (!a.stream) return new Response(text, { headers });
        const data = new TextEncoder().encode(text);
        const stream = new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < data.length; i += 16_384) c.enqueue(data.slice(i, i + 16_384));
            c.close();
          },
        });
        return new Response(stream, { headers });
      }
    }
  }
}

/**
 * The loads among a step's fetches: each starts with the URL the policy names; with discovery, a good document
 * is followed by one fetch of the jwks_uri it names. Problems with their order are added to `problems`.
 */
export function loadsOf(calls: Call[], server: KeyServer, discovery: boolean, problems: string[]): FetchOutcome[] {
  const outcomes: FetchOutcome[] = [];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    if (c.redirect !== "manual") problems.push(`fetched ${c.url} with redirect: ${String(c.redirect)}`);
    if (c.url !== server.url) {
      problems.push(`fetched ${c.url}, not as a load's first fetch`);
      continue;
    }
    if (!discovery) {
      outcomes.push(c.outcome);
      continue;
    }
    const next = calls[i + 1];
    if (c.jwksUri === undefined) {
      outcomes.push({ ok: false });
      continue;
    }
    if (next?.url !== c.jwksUri) {
      problems.push(`discovery named ${c.jwksUri}, which was not fetched`);
      outcomes.push({ ok: false });
      continue;
    }
    if (next.redirect !== "manual") problems.push(`fetched ${next.url} with redirect: ${String(next.redirect)}`);
    outcomes.push(next.outcome);
    i++;
  }
  return outcomes;
}
