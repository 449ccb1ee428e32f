/**
 * Editing wrangler.toml for `npm run deploy:setup`: the ids of the KV namespace and D1 database that wrangler
 * created, written into the binding's own table (comments and layout kept), and the ids read from wrangler's output.
 */

/** The KV id shipped in wrangler.toml before setup (any value that is not a 32-hex namespace id). */
const KV_ID = /^[0-9a-f]{32}$/;
/** The D1 id shipped in wrangler.toml before setup. */
const D1_PLACEHOLDER = '00000000-0000-0000-0000-000000000000';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

type Table = 'kv_namespaces' | 'd1_databases';
const ID_KEY: Record<Table, string> = { kv_namespaces: 'id', d1_databases: 'database_id' };

/** The `[[table]]` block whose `binding = "NAME"`, as [start, end) offsets into the text. */
function bindingBlock(toml: string, table: Table, binding: string): [number, number] {
  const header = `[[${table}]]`;
  let start = toml.indexOf(header);
  while (start !== -1) {
    const next = toml.indexOf('\n[', start + header.length);
    const end = next === -1 ? toml.length : next + 1;
    if (new RegExp(`^binding\\s*=\\s*"${binding}"`, 'm').test(toml.slice(start, end))) return [start, end];
    start = toml.indexOf(header, end);
  }
  throw new Error(`wrangler.toml has no [[${table}]] with binding = "${binding}"`);
}

/** The id written in a binding's table (`id` of a KV namespace, `database_id` of a D1 database). */
export function configuredId(toml: string, table: Table, binding: string): string {
  const [start, end] = bindingBlock(toml, table, binding);
  const match = new RegExp(`^${ID_KEY[table]}\\s*=\\s*"([^"]*)"`, 'm').exec(toml.slice(start, end));
  if (!match) throw new Error(`[[${table}]] ${binding} in wrangler.toml has no ${ID_KEY[table]}`);
  return match[1];
}

/** True when the binding still has the placeholder id wrangler.toml ships with. */
export function needsId(toml: string, table: Table, binding: string): boolean {
  const id = configuredId(toml, table, binding);
  return table === 'kv_namespaces' ? !KV_ID.test(id) : id === D1_PLACEHOLDER || !UUID.test(id);
}

/** wrangler.toml with the binding's id replaced by `id` and the "replace with ..." comment on that line dropped. */
export function withId(toml: string, table: Table, binding: string, id: string): string {
  const [start, end] = bindingBlock(toml, table, binding);
  const line = new RegExp(`^${ID_KEY[table]}\\s*=\\s*"[^"]*".*$`, 'm');
  const block = toml.slice(start, end).replace(line, `${ID_KEY[table]} = "${id}"   # written by npm run deploy:setup`);
  return toml.slice(0, start) + block + toml.slice(end);
}

/** The id in what `wrangler kv namespace create` or `wrangler d1 create` printed (TOML or JSON snippet). */
export function createdId(output: string, table: Table): string {
  const pattern = table === 'kv_namespaces' ? /"?id"?\s*[=:]\s*"([0-9a-f]{32})"/ : new RegExp(`"?database_id"?\\s*[=:]\\s*"(${UUID.source})"`);
  const match = pattern.exec(output);
  if (!match) throw new Error(`could not find the new ${ID_KEY[table]} in wrangler's output:\n${output}`);
  return match[1];
}
