/** @jsxImportSource hono/jsx */
/** The shell every page shares: one stylesheet and one script, both served by the worker (CSP: self only). */
import type { Child } from 'hono/jsx';

export function Layout(props: { title: string; script?: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        {/* No favicon request (it would be a 404 in every console). */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/pages.css" />
        {props.script && <script type="module" src={`/assets/${props.script}`}></script>}
      </head>
      <body>
        <header class="top">
          <nav aria-label="Pages">
            <a href="/">Try it</a> <a href="/admin">Teach it</a> <a href="/docs">API</a>
          </nav>
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
