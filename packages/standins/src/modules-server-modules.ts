// What each stand-in module answers, shaped like misp-modules 3.1.0 answers
// (misp-contract/module-samples/pypi-3.1.0). Geolocation comes from a small built-in table so tests
// are deterministic; every uuid the module creates is fresh on each call, as with the real server.
// A handler throws to play a Python exception: the server turns that into the generic error.

import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { isRoutableAddress } from "misp-enrichd";

export type StandinHandler = (request: Readonly<Record<string, unknown>>) => unknown;
type Json = Record<string, unknown>;

const ATTRIBUTE_REQUIRED =
  'This module requires an "attribute" field as input, which should contain at least a type, a value and an uuid.';

interface Country {
  readonly name: string;
  readonly code: string;
  readonly continent: string;
  /** mmdb-server's country averages, strings as upstream sends them. */
  readonly lat: string;
  readonly lon: string;
}
interface City {
  readonly region?: string;
  readonly city?: string;
  readonly zipcode?: string;
  readonly lat: number;
  readonly lon: number;
  readonly radius: string;
}

const US: Country = { name: "United States", code: "US", continent: "North America", lat: "38", lon: "-97" };
const BE: Country = { name: "Belgium", code: "BE", continent: "Europe", lat: "50.8333", lon: "4" };
const LU: Country = { name: "Luxembourg", code: "LU", continent: "Europe", lat: "49.75", lon: "6.1667" };
/** Any other routable address. */
export const STANDIN_DEFAULT_COUNTRY: Country = { name: "Germany", code: "DE", continent: "Europe", lat: "51", lon: "9" };

const PLACES: ReadonlyMap<string, { readonly country: Country; readonly city?: City }> = new Map([
  ["8.8.8.8", { country: US, city: { lat: 37.751, lon: -97.822, radius: "1000" } }],
  ["2001:4860:4860::8888", { country: US, city: { lat: 37.751, lon: -97.822, radius: "100" } }],
  [
    "188.65.220.25",
    { country: BE, city: { region: "Liège Province", city: "Saint-Nicolas", zipcode: "4420", lat: 50.6284, lon: 5.5324, radius: "50" } },
  ],
  ["198.51.100.23", { country: LU, city: { city: "Luxembourg", lat: 49.6117, lon: 6.13, radius: "20" } }],
]);

interface Onion {
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly languages: readonly string[];
  readonly titles: readonly string[];
  readonly tags: readonly string[];
}

// The same records as the onion-lookup stand-in (onion-lookup-server.ts) serves to the real module.
const ONIONS: ReadonlyMap<string, Onion> = new Map([
  [
    "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion",
    {
      firstSeen: "2023-03-22",
      lastSeen: "2025-11-20",
      languages: ["en"],
      titles: ["Sample onion service title"],
      tags: ['dark-web:topic="legitimate"', 'dark-web:motivation="information-sharing-reportage"', 'infoleak:automatic-detection="onion"'],
    },
  ],
  [
    "expyuzz4wqqyqhjn.onion",
    {
      firstSeen: "2019-06-01",
      lastSeen: "2021-10-15",
      languages: ["en", "de"],
      titles: ["Tor Project: Anonymity Online"],
      tags: ['dark-web:topic="legitimate"', 'infoleak:automatic-detection="onion"'],
    },
  ],
  [
    // A marketplace flagged for the seed workshop's automations (README "Rules").
    "cardshop2dark7ab.onion",
    {
      firstSeen: "2024-02-11",
      lastSeen: "2025-09-30",
      languages: ["en", "ru"],
      titles: ["Fresh dumps and fullz"],
      tags: ['dark-web:topic="credit-card"', 'dark-web:topic="pornography-child-exploitation"', 'infoleak:automatic-detection="onion"'],
    },
  ],
]);

const DNS: ReadonlyMap<string, string> = new Map([
  ["www.circl.lu", "185.194.93.14"],
  ["circl.lu", "185.194.93.14"],
  ["www.foo.be", "188.65.217.78"],
  ["dns.google", "8.8.8.8"],
]);

export const STANDIN_HANDLERS: Readonly<Record<string, StandinHandler>> = {
  mmdb_lookup(request) {
    const attribute = inputAttribute(request);
    if (typeof attribute === "string") return { error: attribute };
    if (!["ip-src", "ip-src|port", "ip-dst", "ip-dst|port"].includes(attribute.type)) {
      return { error: "There is no attribute of type ip-src or ip-dst provided as input" };
    }
    const config = request.config as Json; // unguarded like the module: no config → TypeError → generic error
    const filter = config.db_source_filter;
    if (config.max_country_info_qt === "") throw new Error("int('') in mmdb_lookup");
    const ip = attribute.type.endsWith("|port") ? attribute.value.split("|")[0] ?? "" : attribute.value;
    if (isIP(ip) === 0) return { error: "API not accessible - http status code 422 was returned" };
    if (!isRoutableAddress(ip)) return { error: "API not accessible - http status code 500 was returned" };
    if (typeof filter === "string" && filter !== "" && filter !== "GeoOpen-Country") {
      return { error: "There was no result with the selected db_source" };
    }
    const { country } = place(ip);
    const text = "db_source: GeoOpen-Country. build_db: 2025-10-16 09:00:00. Latitude and longitude are country average.";
    const geolocation = object("geolocation", attribute.uuid, "related-to", [
      member("country", "text", country.name, false),
      member("countrycode", "text", country.code, false),
      member("latitude", "float", country.lat, true),
      member("longitude", "float", country.lon, true),
      member("text", "text", text, true),
    ]);
    return { results: { Attribute: [echo(attribute)], Object: [geolocation] } };
  },

  onion_lookup(request) {
    const attribute = inputAttribute(request);
    if (typeof attribute === "string") return { error: attribute };
    if (attribute.type !== "onion-address") return { error: "Unsupported attribute type." };
    const id = attribute.value.toLowerCase();
    const onion = ONIONS.get(id);
    if (onion === undefined) throw new Error(`KeyError: 'id' (onion-lookup answered {} for ${id})`);
    const tags = onion.tags.map((name) => ({ name }));
    const hiddenService = object("tor-hiddenservice", attribute.uuid, "expanded-from", [
      { ...member("address", "onion-address", id, false, "Network activity", true), Tag: tags },
      member("first-seen", "datetime", `${onion.firstSeen}T00:00:00`, true),
      member("last-seen", "datetime", `${onion.lastSeen}T00:00:00`, true),
      ...onion.languages.map((language) => member("language", "text", language, true)),
      ...onion.titles.map((title) => member("title", "text", title, true)),
    ]);
    hiddenService.comment = `Enriched via onion-lookup: https://onion.ail-project.org/api/lookup/${id}`;
    return { results: { Attribute: [echo(attribute, tags)], Object: [hiddenService] } };
  },

  geoip_city: (request) => geoip(request, true),
  geoip_country: (request) => geoip(request, false),

  /** Legacy: the input is under a key named after its type; `false` when none is there. */
  dns(request) {
    const domainIp = request["domain|ip"];
    const name = [request.hostname, request.domain, typeof domainIp === "string" ? domainIp.split("|")[0] : undefined].find(
      (v): v is string => typeof v === "string" && v !== "",
    );
    if (name === undefined) return false;
    const address = DNS.get(name.toLowerCase());
    if (address === undefined) return { error: "NXDOMAIN" };
    return { results: [{ types: ["ip-src", "ip-dst"], values: [address] }] };
  },
};

function geoip(request: Readonly<Record<string, unknown>>, city: boolean): unknown {
  const config = request.config;
  if (typeof config !== "object" || config === null || !(config as Json).local_geolite_db) {
    return { error: "Please specify the path of your local copy of Maxminds Geolite database" };
  }
  const attribute = inputAttribute(request);
  if (typeof attribute === "string") return { error: attribute };
  if (!["ip-src", "ip-dst", "domain|ip"].includes(attribute.type)) return { error: "Unsupported attribute type." };
  const ip = attribute.type === "domain|ip" ? attribute.value.split("|")[1] ?? "" : attribute.value;
  if (!isRoutableAddress(ip)) return { error: `GeoIP resolving error: The address ${ip} is not in the database.` };
  const found = place(ip);
  const where = found.city ?? { lat: Number(found.country.lat), lon: Number(found.country.lon), radius: "1000" };
  const members = [member("country", "text", found.country.name, false), member("countrycode", "text", found.country.code, false)];
  if (city) {
    if (where.region !== undefined) members.push(member("region", "text", where.region, false));
    if (where.city !== undefined) members.push(member("city", "text", where.city, false));
    if (where.zipcode !== undefined) members.push(member("zipcode", "text", where.zipcode, false));
    // 3.1.x sends coordinates as JSON numbers (modules.md §8).
    members.push(member("latitude", "float", where.lat, true), member("longitude", "float", where.lon, true));
    members.push(member("accuracy-radius", "float", where.radius, true));
  } else {
    members.reverse(); // geoip_country lists countrycode first
  }
  members.push(member("text", "text", `continent: ${found.country.continent}`, true));
  const geolocation = object("geolocation", attribute.uuid, "related-to", members);
  return { results: { Attribute: [echo(attribute)], Object: [geolocation] } };
}

function place(ip: string): { readonly country: Country; readonly city?: City } {
  return PLACES.get(ip.toLowerCase()) ?? { country: STANDIN_DEFAULT_COUNTRY };
}

/** The real modules' `check_input_attribute`: type, value and uuid must be there. */
function inputAttribute(request: Readonly<Record<string, unknown>>): Json & { type: string; value: string; uuid: string } | string {
  const attribute = request.attribute;
  if (typeof attribute !== "object" || attribute === null || Array.isArray(attribute)) return ATTRIBUTE_REQUIRED;
  const { type, value, uuid } = attribute as Json;
  if (typeof type !== "string" || !type || typeof value !== "string" || !value || typeof uuid !== "string" || !uuid) {
    return ATTRIBUTE_REQUIRED;
  }
  return { ...(attribute as Json), type, value, uuid };
}

/** The input attribute as PyMISP rebuilds it: defaults filled, the request's comment kept. */
function echo(attribute: Json & { type: string; value: string; uuid: string }, tags?: readonly Json[]): Json {
  return {
    uuid: attribute.uuid,
    ...(tags ? { Tag: tags } : {}),
    type: attribute.type,
    value: attribute.value,
    category: typeof attribute.category === "string" ? attribute.category : "Network activity",
    to_ids: typeof attribute.to_ids === "boolean" ? attribute.to_ids : true,
    disable_correlation: typeof attribute.disable_correlation === "boolean" ? attribute.disable_correlation : false,
    ...(typeof attribute.comment === "string" ? { comment: attribute.comment } : {}),
  };
}

const TEMPLATES: Readonly<Record<string, readonly [string, string, string, string]>> = {
  geolocation: ["misc", "cd6f2238-ba55-4888-82c4-104e6e1acf21", "An object to describe a geographic location.", "8"],
  "tor-hiddenservice": ["misc", "cbac07d6-fbe9-43b8-8d91-d515812ce330", "Tor hidden service (onion service) object.", "2"],
};

function object(name: string, inputUuid: string, relationship: string, attributes: readonly Json[]): Json {
  const [metaCategory, templateUuid, description, templateVersion] = TEMPLATES[name] ?? ["misc", "", "", "1"];
  const uuid = randomUUID();
  return {
    name,
    "meta-category": metaCategory,
    template_uuid: templateUuid,
    description,
    template_version: templateVersion,
    uuid,
    ObjectReference: [{ uuid: randomUUID(), object_uuid: uuid, referenced_uuid: inputUuid, relationship_type: relationship }],
    Attribute: attributes,
    distribution: "5",
    sharing_group_id: "0",
  };
}

function member(
  relation: string,
  type: string,
  value: string | number,
  disableCorrelation: boolean,
  category = "Other",
  toIds = false,
): Json {
  return {
    uuid: randomUUID(),
    object_relation: relation,
    value,
    type,
    disable_correlation: disableCorrelation,
    to_ids: toIds,
    category,
  };
}
