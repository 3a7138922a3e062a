// The demo's sample traffic: one event with an analyst's attributes, each chosen to show one path
// through the pipeline, plus a frame MISP would never send. The stand-in stores the attributes, so
// the daemon's writes land on real rows, and MISP's echoes of those writes come back by themselves.

import type { MispStandin, SeededAttribute, SeededEvent } from "../misp-server/index.js";
import type { ZmqPublisher } from "../zmq-publisher.js";

/** What the demo expects the daemon to do with a sample; the report says whether it did. */
export type Expectation = "write" | "skip" | "reject";

export interface Sample {
  readonly label: string;
  readonly expect: Expectation;
  /** Seeded into the stand-in and published as MISP publishes an analyst's `attribute add`. */
  readonly attribute?: SeededAttribute & { readonly type: string; readonly value: string };
  /** Published as it is. */
  readonly frame?: string;
}

/** Known to the onion-lookup stand-ins; a Tor v3 address, which MISP 2.5.1 refuses to store. */
export const KNOWN_ONION = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";
/** Well-formed v3 (56 base32 characters), known to no one. */
export const UNKNOWN_ONION = `${"notknowntoonionlookup".repeat(3).slice(0, 55)}d.onion`;
export const DEMO_EVENT_INFO = "misp-enrichd demo: phishing campaign infrastructure";
export const MALFORMED_FRAME = 'misp_json_attribute {"Attribute": {"type": "ip-dst", "value": "203.0.113.9", ';

interface Plan {
  readonly label: string;
  readonly expect: Expectation;
  readonly type: string;
  readonly value: string;
  readonly comment: string;
}

const PLANS: readonly Plan[] = [
  { label: "a public IPv4 ip-dst", expect: "write", type: "ip-dst", value: "188.65.220.25", comment: "C2 server contacted by the phishing payload" },
  { label: "an IPv6 ip-src", expect: "write", type: "ip-src", value: "2001:4860:4860::8888", comment: "resolver queried by the implant" },
  { label: "a private ip-dst", expect: "skip", type: "ip-dst", value: "10.0.0.7", comment: "internal host seen in the logs" },
  { label: "a known Tor v3 onion", expect: "write", type: "onion-address", value: KNOWN_ONION, comment: "leak site" },
  { label: "an unknown Tor v3 onion", expect: "skip", type: "onion-address", value: UNKNOWN_ONION, comment: "mentioned in the ransom note" },
];

export function seedSamples(misp: MispStandin): { event: SeededEvent; samples: Sample[] } {
  const event = misp.seedEvent({ info: DEMO_EVENT_INFO });
  const samples: Sample[] = PLANS.map((plan) => ({
    label: plan.label,
    expect: plan.expect,
    attribute: { ...misp.seedAttribute(event.uuid, { type: plan.type, value: plan.value, comment: plan.comment, toIds: true }), type: plan.type, value: plan.value },
  }));
  samples.push({ label: "a malformed frame", expect: "reject", frame: MALFORMED_FRAME });
  return { event, samples };
}

/** Publishes each sample as MISP would; returns the topics sent, for the settle count. */
export async function publishSamples(publisher: ZmqPublisher, samples: readonly Sample[]): Promise<string[]> {
  const topics: string[] = [];
  for (const sample of samples) {
    if (sample.attribute) {
      await publisher.publish(sample.attribute.message.topic, sample.attribute.message.payload);
      topics.push(sample.attribute.message.topic);
    } else if (sample.frame !== undefined) {
      await publisher.publishRaw(sample.frame);
      topics.push(sample.frame.slice(0, sample.frame.indexOf(" ")));
    }
  }
  return topics;
}
