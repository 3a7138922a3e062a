// MISP 2.5.1's attribute types with their default category and to_ids default
// (MispAttribute::$typeDefinitions at bb0909a3): captureAttribute fills both in when a client leaves
// them out, and an unknown type fails validation. Grouped by (default category, to_ids).

const GROUPS: readonly (readonly [string, boolean, readonly string[]])[] = [
  ["Payload delivery", true, [
    "md5", "sha1", "sha256", "filename", "filename|md5", "filename|sha1", "filename|sha256", "email-src",
    "email-attachment", "malware-sample", "authentihash", "vhash", "ssdeep", "imphash", "telfhash", "pehash",
    "impfuzzy", "sha224", "sha384", "sha512", "sha512/224", "sha512/256", "sha3-224", "sha3-256", "sha3-384",
    "sha3-512", "tlsh", "cdhash", "filename|authentihash", "filename|vhash", "filename|ssdeep",
    "filename|imphash", "filename|impfuzzy", "filename|pehash", "filename|sha224", "filename|sha384",
    "filename|sha512", "filename|sha512/224", "filename|sha512/256", "filename|sha3-224", "filename|sha3-256",
    "filename|sha3-384", "filename|sha3-512", "filename|tlsh", "mobile-application-id", "azure-application-id",
    "chrome-extension-id"
  ]],
  ["Artifacts dropped", false, [
    "pdb", "gene", "kusto-query", "mime-type", "named pipe", "process-state", "windows-scheduled-task",
    "windows-service-name", "windows-service-displayname"
  ]],
  ["Network activity", true, [
    "ip-src", "ip-dst", "hostname", "domain", "domain|ip", "eppn", "email-dst", "url", "ja3-fingerprint-md5",
    "jarm-fingerprint", "favicon-mmh3", "hassh-md5", "hasshserver-md5", "snort", "bro", "zeek", "community-id",
    "dom-hash", "pattern-in-traffic", "uri", "x509-fingerprint-sha1", "x509-fingerprint-md5",
    "x509-fingerprint-sha256", "ip-dst|port", "ip-src|port", "hostname|port", "onion-address"
  ]],
  ["Social network", true, [
    "email"
  ]],
  ["Payload delivery", false, [
    "email-subject", "email-body", "malware-type", "email-dst-display-name", "email-src-display-name",
    "email-header", "email-reply-to", "email-x-mailer", "email-mime-boundary", "email-thread-index",
    "email-message-id"
  ]],
  ["Other", false, [
    "float", "comment", "text", "hex", "other", "size-in-bytes", "counter", "integer", "datetime", "boolean",
    "anonymised"
  ]],
  ["Internal reference", false, [
    "git-commit-id"
  ]],
  ["Network activity", false, [
    "http-method", "user-agent", "AS", "ssh-fingerprint", "cookie", "port", "mac-address", "mac-eui-64", "dkim"
  ]],
  ["Persistence mechanism", true, [
    "regkey", "regkey|value"
  ]],
  ["Payload installation", true, [
    "pattern-in-file", "pattern-in-memory", "filename-pattern", "yara", "stix2-pattern", "sigma"
  ]],
  ["Person", false, [
    "pgp-public-key", "pgp-private-key", "identity-card-number", "phone-number", "first-name", "middle-name",
    "last-name", "full-name", "date-of-birth", "place-of-birth", "gender", "passport-number", "passport-country",
    "passport-expiration", "redress-number", "nationality", "visa-number", "issue-date-of-the-visa",
    "primary-residence", "country-of-residence", "special-service-request", "frequent-flyer-number",
    "travel-details", "payment-details", "place-port-of-original-embarkation", "place-port-of-clearance",
    "place-port-of-onward-foreign-destination", "passenger-name-record-locator-number"
  ]],
  ["External analysis", false, [
    "vulnerability", "cpe", "attachment", "link", "cortex"
  ]],
  ["Artifacts dropped", true, [
    "mutex"
  ]],
  ["Targeting data", false, [
    "target-user", "target-email", "target-machine", "target-org", "target-location", "target-external"
  ]],
  ["Financial fraud", true, [
    "btc", "dash", "xmr", "iban", "bic", "bank-account-nr", "aba-rtn", "bin", "cc-number", "prtn"
  ]],
  ["Attribution", false, [
    "threat-actor", "campaign-name", "campaign-id", "whois-registrant-email", "whois-registrant-phone",
    "whois-registrant-name", "whois-registrant-org", "whois-registrar", "whois-creation-date", "dns-soa-email"
  ]],
  ["Social network", false, [
    "github-username", "github-repository", "github-organisation", "jabber-id", "twitter-id"
  ]],
];

export interface TypeDefinition {
  readonly defaultCategory: string;
  readonly toIds: boolean;
}

const DEFINITIONS = new Map<string, TypeDefinition>();
for (const [defaultCategory, toIds, types] of GROUPS) {
  for (const type of types) DEFINITIONS.set(type, { defaultCategory, toIds });
}

export function typeDefinition(type: string): TypeDefinition | undefined {
  return DEFINITIONS.get(type);
}

/** Composite types hold two values, stored as value1 and value2 (split at the first "|"). */
export function isComposite(type: string): boolean {
  return type.includes("|");
}
