/** FastPix pagination: `offset` is a 1-based page number; `{ totalRecords, currentOffset, offsetCount }`. */

export interface Page {
  limit: number;
  page: number;
}

export function pageOf(q: { limit?: number; offset?: number }): Page {
  return { limit: q.limit ?? 10, page: q.offset ?? 1 };
}

/** "offsetCount = number of pages, i.e. ceil(totalRecords / limit) ... 0 when empty" (CONTRACT.md section 4) */
export function paginationOf(total: number, p: Page): { totalRecords: number; currentOffset: number; offsetCount: number } {
  return { totalRecords: total, currentOffset: p.page, offsetCount: Math.ceil(total / p.limit) };
}
