/** @jsxImportSource hono/jsx */
/** `/admin`: named models (pick, create, delete), and per model: labels and examples, training, head versions and their metrics. Data comes from the JSON API. */
import { Layout } from './layout.tsx';

export function AdminPage() {
  return (
    <Layout title="edgehead: teach it" script="admin.js">
      <h1>Teach it</h1>
      <form id="token-form" class="row">
        <label for="token">Admin token</label>
        <input id="token" type="password" autocomplete="off" required />
        <button type="submit">Open</button>
      </form>
      <p id="message" role="status" class="muted"></p>
      <div id="admin" hidden>
        <section aria-labelledby="models-h">
          <h2 id="models-h">Models</h2>
          <div class="row">
            <label for="model-pick">Model</label>
            <select id="model-pick"></select>
            <button id="delete-model" type="button">Delete model</button>
          </div>
          <form id="create-model-form" class="row">
            <label for="new-model">New model name</label>
            <input id="new-model" required maxlength={32} autocomplete="off" aria-describedby="new-model-hint" />
            <button type="submit">Create model</button>
            <span id="new-model-hint" class="muted">1 to 32 of a-z, 0-9 and "-"</span>
          </form>
        </section>
        <section aria-labelledby="labels-h">
          <h2 id="labels-h">Labels</h2>
          <form id="upload-form" class="drop">
            <p class="muted">Type a new label to create it (or pick one), then choose photos or drop many here at once.</p>
            <div class="row">
              <label for="upload-label">Label</label>
              <input id="upload-label" required maxlength={64} list="known-labels" autocomplete="off" />
              <datalist id="known-labels"></datalist>
            </div>
            <div class="row">
              <label for="upload-files">Photos</label>
              <input id="upload-files" type="file" multiple accept="image/jpeg,image/png,image/webp" />
              <button type="submit">Add photos</button>
            </div>
            <div class="row">
              <progress id="upload-progress" max="1" value="0" aria-label="Upload progress"></progress>
              <span id="upload-count" class="muted"></span>
            </div>
            <ul id="upload-errors" class="error"></ul>
          </form>
          <div id="labels" class="labels"></div>
          <div id="suspects"></div>
        </section>
        <section aria-labelledby="train-h">
          <h2 id="train-h">Training</h2>
          <div class="row">
            <button id="train" type="button">Train</button>
            <span id="train-elapsed" class="muted"></span>
          </div>
          <p id="train-status" role="status" class="muted status-line"></p>
          <h3>Recent runs</h3>
          <div class="scroll"><table id="runs"></table></div>
        </section>
        <section aria-labelledby="heads-h">
          <h2 id="heads-h">Head versions</h2>
          <div id="accuracy-chart"></div>
          <div class="scroll"><table id="heads"></table></div>
          <div id="head-detail"></div>
        </section>
      </div>
    </Layout>
  );
}
