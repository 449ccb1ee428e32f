/** @jsxImportSource hono/jsx */
/** `GET /docs`: the API reference, rendered on the server from the OpenAPI document (no script, no CDN). */
import type { OpenApiDocument } from '../contract/document.ts';
import { schemaText } from '../contract/schema-text.ts';
import { Layout } from './layout.tsx';

type Json = Record<string, unknown>;
type Operation = { summary?: string; tags?: string[]; security?: unknown[]; parameters?: Json[]; requestBody?: Json; responses?: Record<string, Json> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function anchor(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '');
}

function Parameters(props: { parameters: Json[] }) {
  if (props.parameters.length === 0) return null;
  return (
    <div class="scroll">
      <table>
        <thead><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr></thead>
        <tbody>
          {props.parameters.map((p) => (
            <tr>
              <td><code>{String(p.name)}</code>{p.required ? '' : ' (optional)'}</td>
              <td>{String(p.in)}</td>
              <td><code>{schemaText(p.schema as Json)}</code></td>
              <td>{String(p.description ?? (p.schema as Json | undefined)?.description ?? '')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Content(props: { content: Json | undefined }) {
  const entries = Object.entries((props.content ?? {}) as Record<string, Json>);
  return <>{entries.map(([type, media]) => <div><code>{type}</code>: <code>{schemaText(media.schema as Json)}</code></div>)}</>;
}

function OperationCard(props: { method: string; path: string; op: Operation }) {
  const { method, path, op } = props;
  const body = op.requestBody;
  return (
    <section class="card" id={anchor(method, path)}>
      <h3><code>{method.toUpperCase()} {path}</code></h3>
      <p>{op.summary}.{op.security?.length ? ' Admin: needs Authorization: Bearer <ADMIN_TOKEN>.' : ''}</p>
      <Parameters parameters={op.parameters ?? []} />
      {body && (<><h4>Request body</h4>{body.description && <p class="muted">{String(body.description)}</p>}<Content content={body.content as Json} /></>)}
      <h4>Responses</h4>
      <div class="scroll">
        <table>
          <tbody>
            {Object.entries(op.responses ?? {}).map(([status, response]) => (
              <tr><td>{status}</td><td>{String(response.description ?? '')}<Content content={response.content as Json} /></td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function DocsPage(props: { document: OpenApiDocument }) {
  const doc = props.document;
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Json)[m]).map((method) => ({ path, method, op: (item as Json)[method] as Operation })),
  );
  const tags = (doc.tags ?? []).map((t) => t.name);
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>);
  return (
    <Layout title={`${doc.info.title} API`}>
      <h1>{doc.info.title} API <small class="muted">{doc.info.version}</small></h1>
      <p>{doc.info.description}</p>
      <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI {doc.openapi}).</p>
      <nav aria-label="Operations">
        <ul>{operations.map(({ method, path }) => <li><a href={`#${anchor(method, path)}`}><code>{method.toUpperCase()} {path}</code></a></li>)}</ul>
      </nav>
      {tags.map((tag) => (
        <section>
          <h2>{tag}</h2>
          {operations.filter(({ op }) => op.tags?.includes(tag)).map(({ method, path, op }) => <OperationCard method={method} path={path} op={op} />)}
        </section>
      ))}
      <section>
        <h2>Schemas</h2>
        {schemas.map(([name, schema]) => <div class="card" id={`schema-${name}`}><h3><code>{name}</code></h3><code>{schemaText(schema)}</code></div>)}
      </section>
    </Layout>
  );
}
