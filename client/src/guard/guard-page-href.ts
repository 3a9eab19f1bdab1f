/**
 * The guard page for a new tab, with this page's query (coordinator, models, backend…) but no `role=`,
 * which `/guard` sets itself: a worker tab keeps serving while the guard opens beside it.
 */
export function guardPageHref(search: string): string {
  const params = new URLSearchParams(search);
  params.delete('role');
  const query = params.toString();
  return `/guard${query === '' ? '' : `?${query}`}`;
}
