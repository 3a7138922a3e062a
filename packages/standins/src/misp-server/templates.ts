// The object templates the stand-in knows, as MISP 2.5.1 has them from its pinned misp-objects
// (83271573, rest.md §2): uuid, version, metadata, requirements and the relations flagged `multiple`.
// Conformity (ObjectTemplate::checkTemplateConformity) checks only required, requiredOneOf and
// multiple; types and unknown relations are never checked, so they are not listed here.

export interface StandinTemplate {
  /** Local `object_templates.id`, which objects/add also accepts in the URL. */
  readonly id: number;
  readonly uuid: string;
  readonly version: number;
  readonly name: string;
  readonly metaCategory: string;
  readonly description: string;
  readonly required: readonly string[];
  readonly requiredOneOf: readonly string[];
  /** Relations that may appear more than once; every other relation at most once. */
  readonly multiple: readonly string[];
  /** Relations the template defines (for the multiple check only). */
  readonly relations: readonly string[];
}

export const TEMPLATES: readonly StandinTemplate[] = [
  {
    id: 1,
    uuid: "cd6f2238-ba55-4888-82c4-104e6e1acf21",
    version: 7,
    name: "geolocation",
    metaCategory: "misc",
    description: "An object to describe a geographic location.",
    required: [],
    requiredOneOf: ["latitude", "longitude", "city", "region", "country", "countrycode", "epsg"],
    multiple: [],
    relations: [
      "accuracy-radius", "address", "altitude", "city", "country", "countrycode", "epsg", "first-seen", "last-seen",
      "latitude", "longitude", "neighborhood", "region", "spacial-reference", "text", "zipcode",
    ],
  },
  {
    id: 2,
    uuid: "cbac07d6-fbe9-43b8-8d91-d515812ce330",
    version: 2,
    name: "tor-hiddenservice",
    metaCategory: "misc",
    description: "Tor hidden service (onion service) object.",
    required: ["address"],
    requiredOneOf: ["address", "first-seen", "last-seen", "description"],
    multiple: ["language", "title"],
    relations: ["address", "description", "first-seen", "language", "last-seen", "title"],
  },
  {
    id: 3,
    uuid: "4ec55cc6-9e49-4c64-b794-03c25c1a6587",
    version: 5,
    name: "asn",
    metaCategory: "network",
    description:
      "Autonomous system object describing an autonomous system which can include one or more network operators managing an entity (e.g. ISP) along with their routing policy, routing prefixes or alike.",
    required: [],
    requiredOneOf: ["asn"],
    multiple: ["export", "import", "mp-export", "mp-import", "subnet-announced"],
    relations: ["asn", "country", "description", "export", "first-seen", "import", "last-seen", "mp-export", "mp-import", "subnet-announced"],
  },
  {
    id: 4,
    uuid: "a5fde1c8-318e-4658-a3ea-85ea000bdd33",
    version: 2,
    name: "tor-node",
    metaCategory: "misc",
    description:
      "Tor node (which protects your privacy on the internet by hiding the connection between users Internet address and the services used by the users) description which are part of the Tor network at a time.",
    required: ["address"],
    requiredOneOf: ["address", "first-seen", "last-seen", "description", "text"],
    multiple: [],
    relations: [
      "address", "description", "document", "fingerprint", "first-seen", "flags", "last-seen", "nickname", "published", "text",
      "version", "version_line",
    ],
  },
];

/** objects/add: a uuid in the URL picks the highest version (or the exact one given). */
export function findTemplateByUuid(uuid: string, version?: number): StandinTemplate | undefined {
  const found = TEMPLATES.filter((t) => t.uuid === uuid.toLowerCase() && (version === undefined || t.version === version));
  return found.sort((a, b) => b.version - a.version)[0];
}

export function findTemplateById(id: number): StandinTemplate | undefined {
  return TEMPLATES.find((t) => t.id === id);
}

/** ObjectTemplate::checkTemplateConformity: true, or the error string MISP gives. */
export function checkConformity(template: StandinTemplate, relations: readonly string[]): true | string {
  for (const required of template.required) {
    if (!relations.includes(required)) return `Could not save the object as a required attribute is not set (${required})`;
  }
  if (template.requiredOneOf.length > 0 && !template.requiredOneOf.some((r) => relations.includes(r))) {
    return `Could not save the object as it requires at least one of the following attributes to be set: ${template.requiredOneOf.join(", ")}`;
  }
  for (const relation of template.relations) {
    if (template.multiple.includes(relation)) continue;
    if (relations.filter((r) => r === relation).length > 1) {
      return "Could not save the object as a unique relationship within the object was assigned to more than one attribute. This is only allowed if the multiple flag is set in the object template.";
    }
  }
  return true;
}
