/** Whole labels of a model (admin): `PATCH /labels/:label` renames (moves every example), `DELETE /labels/:label` deletes. */
import { $, OpenAPIHono } from '@hono/zod-openapi';
import { BadRequestError } from '../../shared/errors.ts';
import { validateLabel } from '../../shared/examples/label.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { deleteLabelRoute, renameLabelRoute } from '../contract/examples.ts';
import { D1LabelStore } from '../label-store.ts';

export const labelRoutes = $(new OpenAPIHono<AppEnv>().use('/labels/*', requireAdmin))
  .openapi(renameLabelRoute, async (c) => {
    const from = validateLabel(c.req.valid('param').label);
    const to = validateLabel(c.req.valid('json').label);
    if (to === from) throw new BadRequestError(`the new label is the same as the old one (${JSON.stringify(from)})`, 'same_label');
    const examples = await new D1LabelStore(c.env.DB, c.env.EXAMPLES, c.var.model).rename(from, to, new Date());
    return c.json({ from, label: to, examples }, 200);
  })
  .openapi(deleteLabelRoute, async (c) => {
    const label = validateLabel(c.req.valid('param').label);
    const examples = await new D1LabelStore(c.env.DB, c.env.EXAMPLES, c.var.model).delete(label);
    return c.json({ deleted: label, examples }, 200);
  });
