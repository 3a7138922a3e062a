// Indexes over one of the store's tables (an array tests read and the routes append to): by id, by
// uuid and, optionally, by a value. Rows are indexed lazily, on the next lookup after they were
// pushed, so that every writer may keep pushing to the array; a table that shrank is re-indexed.

export interface RowIndex<R extends { id: number; uuid: string }> {
  byId(id: number): R | undefined;
  /** The first row stored with this (lower-case) uuid. */
  byUuid(uuid: string): R | undefined;
  /** Rows whose value was this when indexed (stale entries possible after an edit: check the row). */
  byValue(value: string): readonly R[];
  /** Indexes a row again under its current value, after an edit changed it. */
  reindexValue(row: R): void;
}

const NONE: readonly never[] = Object.freeze([]);

export function createRowIndex<R extends { id: number; uuid: string }>(rows: R[], valueOf?: (row: R) => string): RowIndex<R> {
  const ids = new Map<number, R>();
  const uuids = new Map<string, R>();
  const values = new Map<string, R[]>();
  let indexed = 0;

  const addValue = (row: R): void => {
    if (!valueOf) return;
    const value = valueOf(row);
    const list = values.get(value);
    if (list === undefined) values.set(value, [row]);
    else if (!list.includes(row)) list.push(row);
  };

  const catchUp = (): void => {
    if (rows.length < indexed) {
      ids.clear();
      uuids.clear();
      values.clear();
      indexed = 0;
    }
    for (; indexed < rows.length; indexed++) {
      const row = rows[indexed] as R;
      if (!ids.has(row.id)) ids.set(row.id, row);
      if (!uuids.has(row.uuid)) uuids.set(row.uuid, row);
      addValue(row);
    }
  };

  return {
    byId(id) {
      catchUp();
      return ids.get(id);
    },
    byUuid(uuid) {
      catchUp();
      return uuids.get(uuid);
    },
    byValue(value) {
      catchUp();
      return values.get(value) ?? NONE;
    },
    reindexValue(row) {
      catchUp();
      addValue(row);
    },
  };
}
