/**
 * Server-side printing for `kubectl get` (meta.k8s.io/v1 Table; reference §4.2): rows of the
 * kind's columns (table-columns.ts) with the object or its metadata, as includeObject asks.
 */
import type { ResourceInfo } from '../registry/index.js';
import type { Obj } from './objects.js';
import { columnsOf } from './table-columns.js';

/**
 * A Table of objects; `includeObject` decides what each row carries (kubectl asks for the
 * default, PartialObjectMetadata, and for whole objects with --sort-by).
 */
export function toTable(
  info: ResourceInfo,
  objects: Obj[],
  listMeta: Record<string, unknown>,
  includeObject: string,
  now = Date.now(),
): Obj {
  const cols = columnsOf(info);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: cols.map(({ cell: _cell, ...def }) => def),
    rows: objects.map((o) => {
      const row: Obj = { cells: cols.map((c) => c.cell(o, now)) };
      if (includeObject === 'Object') row.object = o;
      else if (includeObject !== 'None') {
        row.object = {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata ?? {},
        };
      }
      return row;
    }),
  };
}
