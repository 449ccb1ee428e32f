/** @jsxImportSource hono/jsx */
/** `/`: pick, drop, paste or photograph an image and see what the serving head says. */
import { Layout } from './layout.tsx';

/** `models`: the names to pick from (server-rendered: the model listing itself is admin-only). */
export function TryPage(props: { models: string[]; selected: string }) {
  return (
    <Layout title="edgehead: try it" script="try.js">
      <h1>Try it</h1>
      <div class="row">
        <label for="model">Model</label>
        <select id="model">
          {props.models.map((name) => <option value={name} selected={name === props.selected}>{name}</option>)}
        </select>
      </div>
      <div id="drop" class="drop">
        <label for="file">Choose a photo (or drop or paste one here)</label>
        <input id="file" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" />
      </div>
      <section id="result" class="result" aria-live="polite" aria-busy="false">
        {/* The box keeps its size before and after a photo is chosen, so nothing below it moves. */}
        <div class="preview-box">
          <img id="preview" alt="The photo you chose" hidden />
        </div>
        <p id="status" class="muted">No photo yet.</p>
        <ol id="bars" class="bars"></ol>
        <p id="meta" class="muted"></p>
      </section>
    </Layout>
  );
}
