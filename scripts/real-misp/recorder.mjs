// The recorder both capture scripts use (capture.mjs, capture-rules.mjs): a ZeroMQ subscriber that
// keeps every frame, and `step()`, which makes one REST call, waits for the frames it causes and
// writes `{step, title, request, response, zmqFrames}` to OUT_DIR/<step>.json with the keys scrubbed.
// Uses only node built-ins and the `zeromq` package from node_modules.

import http from "node:http";
import https from "node:https";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Subscriber } from "zeromq";

export function createRecorder({ BASE, KEY, ZMQ_URL, OUT, ZMQ_WINDOW_MS = 1500 }) {
  const secrets = new Map([[KEY, "<KEY>"]]); // value -> placeholder, applied to everything written
  const frames = []; // {t, topic, parts, json|raw}
  const heartbeats = [];
  const sub = new Subscriber();
  sub.connect(ZMQ_URL);
  sub.subscribe(); // everything; topics are matched on the parsed frame
  const zmqLoop = (async () => {
    try {
      for await (const parts of sub) {
        const t = Date.now();
        const buf = parts[0];
        const i = buf.indexOf(0x20);
        const topic = (i < 0 ? buf : buf.subarray(0, i)).toString("utf8");
        const rest = i < 0 ? "" : buf.subarray(i + 1).toString("utf8");
        let json;
        let raw;
        try {
          json = JSON.parse(rest);
        } catch {
          raw = rest;
        }
        const f = { t, topic, parts: parts.length, ...(json !== undefined ? { json } : { raw }) };
        (topic === "misp_json_self" ? heartbeats : frames).push(f);
      }
    } catch (e) {
      if (!String(e?.message ?? e).includes("closed") && e?.code !== "EBADF") console.error("zmq:", e);
    }
  })();

  function rawRequest(method, path, headers, bodyText) {
    const url = new URL(BASE + path);
    const lib = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const req = lib.request(url, { method, headers }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8"), ms: Date.now() - t0 }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`timeout ${method} ${path}`)));
      if (bodyText !== undefined) req.write(bodyText);
      req.end();
    });
  }

  const JSON_HEADERS = (key) => ({ Authorization: key, Accept: "application/json", "Content-Type": "application/json" });
  const KEEP_RESPONSE_HEADERS = ["content-type", "location", "x-result-count", "allow", "www-authenticate"];

  function scrub(value) {
    let s = JSON.stringify(value);
    for (const [secret, placeholder] of secrets) s = s.split(secret).join(placeholder);
    return JSON.parse(s);
  }

  const results = []; // summary rows
  mkdirSync(OUT, { recursive: true });

  /**
   * One recorded step. opts: {key, headers (override/extra; null value = omit), body (object|string), note,
   * rawBody (string, sent as-is), window (ms to wait for ZMQ frames)}
   */
  async function step(id, title, method, path, opts = {}) {
    const headers = { ...JSON_HEADERS(opts.key ?? KEY) };
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v === null) delete headers[k];
      else headers[k] = v;
    }
    if (method === "GET" || method === "HEAD") {
      if (opts.body === undefined) delete headers["Content-Type"];
    }
    const bodyText = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const before = frames.length;
    const tSent = Date.now();
    const res = await rawRequest(method, path, headers, bodyText);
    await sleep(opts.window ?? ZMQ_WINDOW_MS);
    const got = frames.slice(before);
    const ct = res.headers["content-type"] ?? null;
    let body;
    if (/json/i.test(ct ?? "") || /^\s*[[{]/.test(res.text)) {
      try {
        body = JSON.parse(res.text);
      } catch {
        body = res.text;
      }
    } else {
      body = res.text;
    }
    let bodyNote;
    if (typeof body === "string" && body.length > 3000) {
      bodyNote = { truncatedFrom: body.length, title: (body.match(/<title>([\s\S]*?)<\/title>/i) ?? [])[1]?.trim() ?? null };
      body = body.slice(0, 3000);
    }
    const keptHeaders = {};
    for (const h of KEEP_RESPONSE_HEADERS) if (res.headers[h] !== undefined) keptHeaders[h] = res.headers[h];
    const record = {
      step: id,
      title,
      ...(opts.note ? { note: opts.note } : {}),
      request: { method, path, headers, body: opts.body ?? opts.rawBody ?? null },
      response: { status: res.status, contentType: ct, headers: keptHeaders, body, ...(bodyNote ? { bodyNote } : {}), ms: res.ms },
      zmqFrames: got.map((f) => ({
        topic: f.topic,
        parts: f.parts,
        msAfterRequestSent: f.t - tSent,
        ...(f.json !== undefined ? { json: f.json } : { raw: f.raw }),
      })),
    };
    const clean = scrub(record);
    writeFileSync(join(OUT, `${id}.json`), JSON.stringify(clean, null, 2) + "\n");
    const msg =
      typeof body === "object" && body
        ? body.errors !== undefined
          ? `errors=${JSON.stringify(body.errors)}`
          : body.message ?? body.name ?? Object.keys(body).join(",")
        : bodyNote?.title ?? String(body).slice(0, 80);
    const topics = got.map((f) => `${f.topic}${f.json?.action ? `(${f.json.action})` : ""}`).join(" ");
    results.push({ step: id, method, path: scrub(path), status: res.status, contentType: ct, msg: scrub(String(msg)).slice(0, 300), topics });
    console.log(`${id.padEnd(34)} ${method} ${path} -> ${res.status} ${ct ?? ""} | ${String(msg).slice(0, 140)} | ${topics}`);
    return { status: res.status, body, frames: got };
  }


  return { step, scrub, results, frames, heartbeats, secrets, close: async () => { sub.close(); await zmqLoop; } };
}
