/** Whole labels (admin): `PATCH /v1/labels/:label` renames (moves every example), `DELETE /v1/labels/:label` deletes. */
import { Hono } from 'hono';
import { BadRequestError } from '../../shared/errors.ts';
import { validateLabel } from '../../shared/examples/label.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { D1LabelStore } from '../label-store.ts';
import { readJsonObject } from '../request-body.ts';

export const labelRoutes = new Hono<AppEnv>()
  .use('/v1/labels/*', requireAdmin)
  .patch('/v1/labels/:label', async (c) => {
    const from = validateLabel(c.req.param('label'));
    const body = await readJsonObject(c.req.raw);
    const to = validateLabel(typeof body.label === 'string' ? body.label : undefined);
    if (to === from) throw new BadRequestError(`the new label is the same as the old one (${JSON.stringify(from)})`, 'same_label');
    const examples = await new D1LabelStore(c.env.DB, c.env.EXAMPLES).rename(from, to, new Date());
    return c.json({ from, label: to, examples });
  })
  .delete('/v1/labels/:label', async (c) => {
    const label = validateLabel(c.req.param('label'));
    const examples = await new D1LabelStore(c.env.DB, c.env.EXAMPLES).delete(label);
    return c.json({ deleted: label, examples });
  });
