/**
 * meta.k8s.io/v1 Table: the server-side printing format kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
 */
import type { ListMeta } from './meta';

/** metav1.TableColumnDefinition. type: "string", "integer", "number", "boolean", "date". */
export interface TableColumnDefinition {
  name: string;
  type: string;
  /** e.g. "name" for the NAME column, "date-time" for AGE-like columns. */
  format: string;
  description: string;
  /** 0 is shown by default; higher only with `-o wide`. */
  priority: number;
}

/** metav1.TableRow. object is the full object, PartialObjectMetadata or omitted (includeObject). */
export interface TableRow {
  cells: unknown[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  object?: unknown;
}

/** metav1.Table. */
export interface Table {
  apiVersion: 'meta.k8s.io/v1';
  kind: 'Table';
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}
