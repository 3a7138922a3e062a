// What a tag name in a rule may look like. MISP looks tags up with SQL LIKE (rest.md §4), where `%`
// matches anything (and `_` any one character: a name with `_` may attach a look-alike that already
// exists, which the README says); a taxonomy's machine tag quotes its value: `namespace:predicate="value"`.

const MACHINE_TAG = /^[^\s:="]+:[^\s="]+(="[^"]*")?$/;

/** Null when the name is usable, otherwise what is wrong with it. `glob` allows `*` (where-patterns). */
export function tagSyntaxProblem(name: unknown, options: { glob?: boolean } = {}): string | null {
  if (typeof name !== "string" || name.trim() === "") return `${JSON.stringify(name) ?? String(name)} is not a tag name`;
  if (name !== name.trim()) return `${JSON.stringify(name)} has spaces around it`;
  if (name.length > 255) return `${JSON.stringify(name.slice(0, 40))}… is longer than MISP's 255 characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${JSON.stringify(name)} contains a control character`;
  if (name.includes("%")) return `${JSON.stringify(name)} contains %, which MISP's tag lookup takes as a wildcard`;
  if (!options.glob && name.includes("*")) return `${JSON.stringify(name)} contains *: only where-patterns may use wildcards`;
  const quotes = (name.match(/"/g) ?? []).length;
  if (name.includes("=") || quotes > 0) {
    // Only machine tags use = and quotes; then exactly in MISP's taxonomy form.
    if (!MACHINE_TAG.test(name.replace(/\*/g, "x"))) {
      const fixed = /^([^:=\s]+:[^=\s]+)=([^"].*)$/.exec(name);
      return fixed
        ? `${JSON.stringify(name)}: a machine tag quotes its value, as in ${JSON.stringify(`${fixed[1]}="${fixed[2]}"`)}`
        : `${JSON.stringify(name)} is not a machine tag of the form namespace:predicate="value"`;
    }
  }
  return null;
}
