// The `country_info` block mmdb-server adds to each lookup (its db/country.json), for the countries
// our fixtures and demo addresses resolve to. Values are the upstream's strings, verbatim: mmdb_lookup
// copies "Latitude (average)" / "Longitude (average)" into float attributes without converting them.

export interface CountryInfo {
  readonly Country: string;
  readonly "Alpha-2 code": string;
  readonly "Alpha-3 code": string;
  readonly "Numeric code": string;
  readonly "Latitude (average)": string;
  readonly "Longitude (average)": string;
}

// alpha-2 → [name, alpha-3, numeric, average latitude, average longitude]
const COUNTRIES: Readonly<Record<string, readonly [string, string, string, string, string]>> = {
  AT: ["Austria", "AUT", "40", "47.3333", "13.3333"],
  AU: ["Australia", "AUS", "36", "-27", "133"],
  BE: ["Belgium", "BEL", "56", "50.8333", "4"],
  BR: ["Brazil", "BRA", "76", "-10", "-55"],
  CA: ["Canada", "CAN", "124", "60", "-95"],
  CH: ["Switzerland", "CHE", "756", "47", "8"],
  CN: ["China", "CHN", "156", "35", "105"],
  CZ: ["Czech Republic", "CZE", "203", "49.75", "15.5"],
  DE: ["Germany", "DEU", "276", "51", "9"],
  DK: ["Denmark", "DNK", "208", "56", "10"],
  ES: ["Spain", "ESP", "724", "40", "-4"],
  FI: ["Finland", "FIN", "246", "64", "26"],
  FR: ["France", "FRA", "250", "46", "2"],
  GB: ["United Kingdom", "GBR", "826", "54", "-2"],
  IE: ["Ireland", "IRL", "372", "53", "-8"],
  IN: ["India", "IND", "356", "20", "77"],
  IT: ["Italy", "ITA", "380", "42.8333", "12.8333"],
  JP: ["Japan", "JPN", "392", "36", "138"],
  KR: ["South Korea", "KOR", "410", "37", "127.5"],
  LU: ["Luxembourg", "LUX", "442", "49.75", "6.1667"],
  NL: ["Netherlands", "NLD", "528", "52.5", "5.75"],
  NO: ["Norway", "NOR", "578", "62", "10"],
  PL: ["Poland", "POL", "616", "52", "20"],
  PT: ["Portugal", "PRT", "620", "39.5", "-8"],
  RU: ["Russia", "RUS", "643", "60", "100"],
  SE: ["Sweden", "SWE", "752", "62", "15"],
  SG: ["Singapore", "SGP", "702", "1.3667", "103.8"],
  UA: ["Ukraine", "UKR", "804", "49", "32"],
  US: ["United States", "USA", "840", "38", "-97"],
  ZA: ["South Africa", "ZAF", "710", "-29", "24"],
};

/**
 * The block for an ISO alpha-2 code. A country missing from the table gets its name from the
 * database and empty codes and coordinates: PyMISP skips empty values, so mmdb_lookup still emits a
 * geolocation object with country and countrycode, and never invents a position.
 */
export function countryInfo(alpha2: string, databaseName?: string): CountryInfo {
  const row = COUNTRIES[alpha2.toUpperCase()];
  if (row === undefined) {
    return {
      Country: databaseName ?? alpha2,
      "Alpha-2 code": alpha2,
      "Alpha-3 code": "",
      "Numeric code": "",
      "Latitude (average)": "",
      "Longitude (average)": "",
    };
  }
  const [name, alpha3, numeric, latitude, longitude] = row;
  return {
    Country: name,
    "Alpha-2 code": alpha2.toUpperCase(),
    "Alpha-3 code": alpha3,
    "Numeric code": numeric,
    "Latitude (average)": latitude,
    "Longitude (average)": longitude,
  };
}
